# SPDX-License-Identifier: GPL-2.0
#
# reuseport_lab: out-of-tree module and its lab tooling.
#
#   make [KERNELRELEASE=<release>|KDIR=<build dir>]   build reuseport_lab.ko
#   make install                                       modules_install
#   make tools                                         the user-space tools
#   make check                                         the whole test suite
#   make soak                                          make check, the reliability
#                                                      suite at full volume
#   make demo                                          the study, in a VM
#   make bench                                         figures and ratios
#   make kernels KERNELS="name ..."                    the kernel matrix
#   make matrix [KERNELS="name ..."]                   the study per kernel
#   make patches RL_SIGNOFF="Name <email>"             the +batch fixes as a
#                                                      series (out/patches/)
#   make deb                                           Debian packages
#   make findings                                      docs/findings.md from the
#                                                      last make matrix

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PWD := $(shell pwd)

all:
	@test -d "$(KDIR)" || { echo "no kernel build dir $(KDIR): install linux-headers-$(KERNELRELEASE) or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(PWD) clean; fi
	rm -f module/*.o module/.*.cmd
	@if [ -d tools ]; then $(MAKE) -C tools clean; fi

install:
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install

tools:
	$(MAKE) -C tools

check:
	bash test/check.sh

soak:
	RL_SOAK=1 bash test/check.sh

demo:
	bash test/demo.sh

bench:
	bash test/bench.sh

kernels:
	bash test/kernels/kernels.sh $(KERNELS)

matrix:
	bash test/matrix.sh $(KERNELS)

patches:
	bash test/patches.sh

deb:
	bash test/deb.sh build

findings:
	bash test/findings.sh

.PHONY: all clean install tools check soak demo bench kernels matrix patches deb findings
