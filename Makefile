# mdlkit -- the two README commands and the other entry points.
#   make demo       install what is missing, build, run the demonstration
#   make test       install what is missing, build, run the whole test suite
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-tsan  the suite under ThreadSanitizer
#   make bench      release build, every benchmark against its baselines
#   make fuzz       long fuzzing campaign (FUZZ_SECONDS, default 1800)
#   make fuzz-examples  the example drivers' fuzzers (docs/fuzzing.md), each run FUZZ_EXAMPLE_SECONDS (default 60)
#   make install    install to PREFIX (default /usr/local)
BUILD ?= build
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 1800
FUZZ_EXAMPLE_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: build demo test test-asan test-tsan bench fuzz fuzz-examples install clean deps deps-build

deps:
	@scripts/deps.sh test

deps-build:
	@scripts/deps.sh build

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps-build
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

# The demo builds quietly: a progress line, the compiler's output kept in
# $(BUILD)/build.log (printed only if the build fails), then the demo.
demo: deps-build
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >$(BUILD).configure.log 2>&1 || { cat $(BUILD).configure.log; exit 1; }
	@rm -f $(BUILD).configure.log
	@printf 'mdlkit: building the library and the mdlkit command (log: %s/build.log) ' '$(BUILD)'
	@cmake --build $(BUILD) -j$(JOBS) --target mdlkit_cli >$(BUILD)/build.log 2>&1 & pid=$$!; \
	 while kill -0 $$pid 2>/dev/null; do \
	   p=$$(grep -o '^\[ *[0-9]*%\]' $(BUILD)/build.log 2>/dev/null | tail -1 | tr -d '[] '); \
	   printf '\rmdlkit: building the library and the mdlkit command (log: %s/build.log) %s ' '$(BUILD)' "$$p"; \
	   sleep 1; \
	 done; \
	 if wait $$pid; then echo '-- done'; else echo '-- FAILED:'; tail -40 $(BUILD)/build.log; exit 1; fi
	@$(BUILD)/tools/mdlkit demo

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan:
	@scripts/deps.sh asan
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMDLKIT_SANITIZE=address,undefined >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

test-tsan:
	@scripts/deps.sh tsan
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DMDLKIT_SANITIZE=thread >/dev/null
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && ctest --output-on-failure -j$(JOBS)

bench:
	@scripts/deps.sh bench
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DMDLKIT_BENCH=ON -DMDLKIT_TESTS=OFF >/dev/null
	cmake --build build-bench -j$(JOBS)
	scripts/run-bench.sh build-bench

fuzz:
	@scripts/deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DMDLKIT_FUZZ=ON -DMDLKIT_TESTS=OFF -DMDLKIT_SANITIZE=address,undefined >/dev/null
	cmake --build build-fuzz -j$(JOBS)
	scripts/run-fuzz.sh build-fuzz $(FUZZ_SECONDS)

fuzz-examples:
	@scripts/deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DMDLKIT_FUZZ=ON -DMDLKIT_TESTS=OFF -DMDLKIT_SANITIZE=address,undefined >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzz_examples
	for t in fuzz_ioctl fuzz_netrecv fuzz_ramdisk; do \
	  mkdir -p fuzz/corpus-work/$$t && \
	  build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_EXAMPLE_SECONDS) -print_final_stats=1 -artifact_prefix=fuzz/corpus-work/$$t/ \
	    fuzz/corpus-work/$$t fuzz/corpus/$$t || exit 1; \
	done

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-bench build-fuzz
