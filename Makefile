# SPDX-License-Identifier: MIT
# memregion: the quick start.
#   make run     build, then run the main job: `memregion demo`, every layer
#                working together on real OS objects
#   make examples build, then run the example programs
#   make check   build and run every test: plain (with valgrind), then under
#                AddressSanitizer + UndefinedBehaviorSanitizer, then the
#                threaded tests under ThreadSanitizer
#   make bench   build and run the benchmarks (figures as ratios to baselines)
#   make bench-deps  install the peers bench_topic_peers compares with (ZeroMQ,
#                iceoryx); not needed by check
#   make fuzz    run each libFuzzer target for FUZZ_SECONDS (default 60) with clang
#   make soak    build, then run the soak test for SOAK_SECONDS (default 120):
#                producers and consumers over channels and `memregion pipe`,
#                peers SIGKILLed at random; nothing lost, repeated or left behind
#   make install install headers, libraries, the program, pkg-config file,
#                CMake package and man pages (PREFIX=/usr/local, DESTDIR=
#                honoured); builds only what it installs, not the tests or
#                benchmarks
#   make uninstall remove what the last `make install` put there, and the
#                directories it created, if they are empty
#   make deb     build the Debian packages into DEB_OUT (default ../memregion-deb)
#   make check-long  the tests that take minutes (the Debian package build)
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
GENERATOR  := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CMAKE_ARGS ?=
# Passed through variables: a literal comma would split $(call) arguments.
ASAN_FLAGS := -DMR_SANITIZE=address,undefined

.PHONY: all build run examples check check-long check-plain check-asan check-tsan bench soak install uninstall deb deps clean

all: build

define configure
	@test -f $(1)/CMakeCache.txt || cmake -S . -B $(1) $(GENERATOR) $(2) $(CMAKE_ARGS) >/dev/null
	cmake --build $(1) -j $(JOBS)
endef

build:
	$(call configure,$(BUILD),-DMR_WERROR=ON -DMR_VALGRIND=ON)

# Builds only the library and the program, so that a fresh checkout gets to
# the demo in seconds.
run:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(GENERATOR) -DMR_WERROR=ON -DMR_VALGRIND=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target memregion_cli
	$(BUILD)/tools/memregion demo

examples: build
	@for e in $(BUILD)/examples/example_*; do \
	  echo "== $$e"; "$$e" || exit 1; \
	done

check: deps check-plain check-asan check-tsan
	@echo "make check: all suites passed"

check-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE long

# The tests that take minutes (the Debian package build), apart.
check-long: build
	cd $(BUILD) && ctest --output-on-failure -L long

check-asan:
	$(call configure,$(ASAN_BUILD),-DMR_WERROR=ON -DCMAKE_BUILD_TYPE=Debug $(ASAN_FLAGS) -DMR_BUILD_BENCH=OFF)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# clang's ThreadSanitizer, where it works: gcc 12's misses a release store
# weakened to relaxed, which clang's reports.
check-tsan:
	@cc=$$(if $(call tsan_probe,clang); then echo clang; else echo cc; fi); \
	  test -f $(TSAN_BUILD)/CMakeCache.txt || CC=$$cc cmake -S . -B $(TSAN_BUILD) $(GENERATOR) \
	    -DMR_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DMR_SANITIZE=thread -DMR_BUILD_BENCH=OFF \
	    -DMR_BUILD_EXAMPLES=OFF $(CMAKE_ARGS) >/dev/null; \
	  echo "ThreadSanitizer build with $$cc"
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS) -L threads

bench: build
	sh bench/run.sh $(BUILD)

# Minutes long, so not part of check; bounded by its own watchdog.
SOAK_SECONDS ?= 120
soak: build
	$(BUILD)/test/soak --seconds $(SOAK_SECONDS) --memregion $(BUILD)/tools/memregion

# Only the targets that have install rules are built. CMake's
# install_manifest.txt names the files without DESTDIR: $(BUILD)/install_files.txt
# names them where they are. The directories that the install creates (the
# prefix too, when it is new) are added to $(BUILD)/install_dirs.txt, so that
# uninstall removes those and no directory that was there before.
INSTALL_TARGETS := memregion memregion_static memregion_cli
install:
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(GENERATOR) -DMR_WERROR=ON -DMR_VALGRIND=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target $(INSTALL_TARGETS)
	@root="$(DESTDIR)$(PREFIX)"; b=$(BUILD)/install_dirs; \
	  new=; d="$$root"; while [ ! -d "$$d" ]; do new="$$new$$d\n"; d=$$(dirname "$$d"); done; \
	  find "$$root" -type d 2>/dev/null | sort >"$$b.before"; \
	  DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)" || exit 1; \
	  { printf '%b' "$$new"; find "$$root" -type d; } | sort -u | comm -23 - "$$b.before" >"$$b.new"; \
	  cat "$$b.new" "$$b.txt" 2>/dev/null | sort -u >"$$b.tmp"; mv "$$b.tmp" "$$b.txt"; \
	  rm -f "$$b.before" "$$b.new"; \
	  while IFS= read -r f || [ -n "$$f" ]; do \
	    if [ -e "$(DESTDIR)$$f" ] || [ -L "$(DESTDIR)$$f" ]; then echo "$(DESTDIR)$$f"; else echo "$$f"; fi; \
	  done <$(BUILD)/install_manifest.txt >$(BUILD)/install_files.txt

# Removes the files the last install listed (DESTDIR included), then the
# directories that install created, deepest first, where they are empty.
uninstall:
	@m=$(BUILD)/install_files.txt; \
	  test -f "$$m" || { echo "uninstall: no $$m: nothing was installed from $(BUILD)" >&2; exit 1; }; \
	  while IFS= read -r f || [ -n "$$f" ]; do \
	    if [ -e "$$f" ] || [ -L "$$f" ]; then echo "-- Removing: $$f"; rm -f "$$f" || exit 1; fi; \
	  done <"$$m"; \
	  if [ -f $(BUILD)/install_dirs.txt ]; then \
	    sort -r $(BUILD)/install_dirs.txt | while IFS= read -r d; do \
	      rmdir "$$d" 2>/dev/null && echo "-- Removing directory: $$d"; done; \
	  fi; \
	  rm -f "$$m" $(BUILD)/install_manifest.txt $(BUILD)/install_dirs.txt

# The Debian packages (debian/), built from a copy of the tree in
# $(DEB_OUT)/src, so that the build leaves nothing in this tree; the .deb
# files, .changes and .buildinfo land in $(DEB_OUT), and lintian checks them.
# The build tools: apt-get install dpkg-dev debhelper cmake lintian fakeroot;
# and libucx-dev for libmemregion-net0 (make deps installs it).
DEB_OUT ?= $(abspath $(CURDIR)/../memregion-deb)
deb:
	@command -v dpkg-buildpackage >/dev/null 2>&1 || { echo "make deb: needs dpkg-dev, debhelper and lintian (apt-get install dpkg-dev debhelper lintian)" >&2; exit 1; }
	rm -rf $(DEB_OUT)/src $(DEB_OUT)/*memregion*_* && mkdir -p $(DEB_OUT)/src
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done; true' sh | \
	    tar --null -T - -cf - | tar -C $(DEB_OUT)/src -xf -; \
	else tar --exclude='./build*' -cf - . | tar -C $(DEB_OUT)/src -xf -; fi
	cd $(DEB_OUT)/src && dpkg-buildpackage -us -uc -b
	lintian --info $(DEB_OUT)/*.changes
	@ls -1 $(DEB_OUT)/*.deb

# Does compiler $(1) build and run a ThreadSanitizer program?
tsan_probe = printf 'int main(void){return 0;}\n' | $(1) -x c -fsanitize=thread - -o /tmp/mr-tsan-probe-$$$$ >/dev/null 2>&1 && /tmp/mr-tsan-probe-$$$$ && rm -f /tmp/mr-tsan-probe-$$$$

# What the tests need beyond a compiler: pkg-config (for the install test),
# libucx-dev (UCX: libmemregion-net and its tests, test_net*),
# socat (a relay that cannot pass fds, for the share test), musl-gcc from
# musl-tools (for the musl build test), man-db (man, with groff, for the
# man-page test) and
# clang's sanitizer runtime (for the ThreadSanitizer build). Installed with
# apt-get when missing and we are root; otherwise a note says what is skipped.
deps:
	@missing=""; \
	  command -v pkg-config >/dev/null 2>&1 || missing="$$missing pkg-config"; \
	  command -v socat >/dev/null 2>&1 || missing="$$missing socat"; \
	  command -v musl-gcc >/dev/null 2>&1 || missing="$$missing musl-tools"; \
	  command -v man >/dev/null 2>&1 || missing="$$missing man-db"; \
	  pkg-config --exists libuv 2>/dev/null || missing="$$missing libuv1-dev"; \
	  pkg-config --exists glib-2.0 2>/dev/null || missing="$$missing libglib2.0-dev"; \
	  pkg-config --exists ucx 2>/dev/null || missing="$$missing libucx-dev"; \
	  if command -v clang >/dev/null 2>&1 && ! $(call tsan_probe,clang); then \
	    missing="$$missing libclang-rt-$$(clang -dumpversion | cut -d. -f1)-dev"; fi; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing:$$missing"; apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "note: missing$$missing (the tests that need them are skipped, or TSan uses gcc)"; fi; \
	  fi

# The peers bench_topic_peers compares the topic with (issue 16), which
# make check does not need: ZeroMQ (libzmq3-dev) and iceoryx (its C binding
# and the iox-roudi daemon, which the benchmark starts and stops itself).
# Installed with apt-get when missing and we are root; then `make bench`
# reconfigures $(BUILD), and bench_topic_peers links them. Without them it
# measures the topic alone and says which peer is missing.
.PHONY: bench-deps
bench-deps:
	@missing=""; \
	  pkg-config --exists libzmq 2>/dev/null || missing="$$missing libzmq3-dev"; \
	  set -- /usr/include/iceoryx/*/iceoryx_binding_c/publisher.h; \
	  [ -e "$$1" ] || missing="$$missing libiceoryx-binding-c-dev"; \
	  command -v iox-roudi >/dev/null 2>&1 || missing="$$missing iceoryx"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing:$$missing"; apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	      if [ -f $(BUILD)/CMakeCache.txt ]; then cmake $(BUILD) >/dev/null; fi; \
	    else echo "note: missing$$missing (bench_topic_peers measures the topic without them)"; fi; \
	  fi

# Every fuzz/fuzz_<name>.c, built with clang's libFuzzer (plus ASan and
# UBSan), for FUZZ_SECONDS each, with fuzz/<name>.dict as its dictionary if
# there is one. They work on a copy of fuzz/corpus/<name> in the build tree,
# which grows from run to run; the checked-in seeds stay as they are. A crash
# leaves its input in $(FUZZ_BUILD)/artifacts/.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: fuzz
fuzz:
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || CC=clang cmake -S . -B $(FUZZ_BUILD) $(GENERATOR) \
	  -DMR_FUZZ=ON -DMR_WERROR=ON $(ASAN_FLAGS) -DMR_BUILD_BENCH=OFF -DMR_BUILD_EXAMPLES=OFF \
	  $(CMAKE_ARGS) >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@mkdir -p $(FUZZ_BUILD)/artifacts
	@for src in fuzz/fuzz_*.c; do \
	  t=$$(basename $$src .c); c=$${t#fuzz_}; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$c && cp fuzz/corpus/$$c/* $(FUZZ_BUILD)/corpus/$$c/ || exit 1; \
	  dict=; test -f fuzz/$$c.dict && dict=-dict=fuzz/$$c.dict; \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- $(FUZZ_BUILD)/corpus/$$c || exit 1; \
	done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
