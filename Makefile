# SPDX-License-Identifier: GPL-2.0
#
# reuseport_lab: out-of-tree module and its lab tooling.
#
#   make [KERNELRELEASE=<release>|KDIR=<build dir>]   build reuseport_lab.ko
#   make install                                       modules_install
#   make check                                         the whole test suite
#   make demo                                          the study, in a VM

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PWD := $(shell pwd)

all:
	@test -d "$(KDIR)" || { echo "no kernel build dir $(KDIR): install linux-headers-$(KERNELRELEASE) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(PWD) clean; fi
	rm -f module/*.o module/.*.cmd

install:
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

check:
	bash test/check.sh

demo:
	bash test/demo.sh

bench:
	bash test/bench.sh

kernels:
	bash test/kernels/build.sh

.PHONY: all clean install check demo bench kernels
