# krunctl: the two commands that do everything on a fresh Debian 12 machine are
#   make run    install what is missing, build, run specs/hello.yaml
#   make test   install what is missing, build, run every test (unit, real-syscall, end-to-end)
SHELL := /bin/bash
MVN := source scripts/java-home.sh && mvn -B -q
# Test runs keep Maven's per-class and summary lines ("Tests run: ...") so CI sees what ran.
MVN_TEST := source scripts/java-home.sh && mvn -B -ntp -Dstyle.color=never
.DEFAULT_GOAL := build
.PHONY: prereqs kernel build aot run test unit install clean

prereqs:
	@bash scripts/prereqs.sh

# krunctl's own guest kernel (kernel/build.sh): built once per configuration (3.5 to 5 minutes on 2
# cores), then taken from ~/.cache/krunctl/kernel/own. A failed build does not stop the build of
# krunctl, which then boots the last own kernel built, or the Debian kernel (and says so).
kernel: prereqs
	@bash kernel/build.sh > /dev/null \
		|| echo "kernel: krunctl boots the last own kernel built, or else Debian's, until this is fixed" >&2

build: prereqs kernel
	@$(MVN) -DskipTests install
	@$(MAKE) --no-print-directory aot

# Trains the JVM's AOT cache on a real run of a filesystem-heavy VM (scripts/aot-train.sh); ./krunctl
# uses it while the jars are unchanged. A failed training run only costs speed, never correctness.
aot:
	@bash scripts/aot-train.sh cli/target/krunctl.aot > /dev/null 2>&1 \
		|| echo "aot: training run failed; krunctl starts without an AOT cache" >&2

run: build
	./krunctl run specs/hello.yaml

# Every test: unit and real-syscall tests (surefire), then the end-to-end VM tests (failsafe).
test: prereqs kernel
	@$(MVN_TEST) install

# The quick loop: everything but the end-to-end VM tests.
unit: prereqs
	@$(MVN_TEST) -De2e.skip=true install

# The man pages (generated from the command and spec models, checked by ManPagesTest) and bash
# completion; zsh users load completion with `source <(krunctl completion zsh)`.
PREFIX ?= /usr/local
install: build
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	./krunctl completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/krunctl

clean:
	@$(MVN) clean
	rm -rf guest/target
