# focalloss: `make` builds the shipping library, `make test` runs every test, `make demo`
# trains a dense classifier with focal loss and cross-entropy, `make install` installs the
# library for C and C++ (pkg-config, CMake), `make bench` times the library against numpy and the
# peers. See README.md.

SWIFT      ?= swift
CC         ?= cc
CXX        ?= c++
PYTHON     ?= python3
# The interpreter for bench/peers.py: numpy is needed; torch, torchvision, kornia and
# focalloss.torch are used when they import. By default the test environment (build/test-venv,
# made by `make test-venv`), which has them all; BENCH_PYTHON=/path/to/python for another.
BENCH_PYTHON ?= $(CURDIR)/build/test-venv/bin/python
BUILD_DIR  := build
SCRATCH    := .build-release
LIB        := $(BUILD_DIR)/libfocalloss.so
SOURCES    := Package.swift include/focalloss.h tools/exports.map $(shell find Sources -name '*.swift' -o -name '*.[ch]')

# The version comes from the header, the one place it is written. The shipping library's SONAME
# carries the major version: consumers record libfocalloss.so.$(VERSION_MAJOR) as NEEDED.
header_version = $(shell sed -n 's/^\#define FOCAL_VERSION_$(1) \([0-9][0-9]*\)$$/\1/p' include/focalloss.h)
VERSION_MAJOR := $(call header_version,MAJOR)
VERSION       := $(VERSION_MAJOR).$(call header_version,MINOR).$(call header_version,PATCH)
SONAME        := libfocalloss.so.$(VERSION_MAJOR)

# The shipping library: Swift runtime linked in statically, only focal_* exported,
# every symbol resolved at link time. Kept out of Package.swift on purpose (TOOLCHAIN.md).
# SHIP_CONFIGURATION=debug (make's variable or the environment) builds the same library with
# the same flags in Swift's debug configuration: unoptimized but for the kernels, slower, and
# built in about 2 minutes instead of 7 to 15; only test-sdist uses it (a clean clone's
# `make test` builds the release library once, for everything else). build/ship-configuration
# records the configuration of build/libfocalloss.so, so that changing it rebuilds the library.
SHIP_CONFIGURATION ?= release
SHIP_FLAGS := -c $(SHIP_CONFIGURATION) --product focalloss --scratch-path $(SCRATCH) \
              -Xswiftc -static-stdlib \
              -Xlinker --no-undefined \
              -Xlinker -soname=$(SONAME) \
              -Xlinker --version-script=$(CURDIR)/tools/exports.map

C_WARNINGS := -Wall -Wextra -pedantic -Werror
C_TEST_FLAGS := -Iinclude $(C_WARNINGS) -O1 -g -pthread
LINK_LIB   := -L$(BUILD_DIR) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

PY_PACKAGE := bindings/python/focalloss
PY_INCLUDES = $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])")
PY_EXT_SUFFIX = $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
PY_EXT      = $(PY_PACKAGE)/_ext$(PY_EXT_SUFFIX)

.PHONY: all python test test-swift test-c test-symbols test-docs test-python test-hardening test-sanitizers \
        test-swift-sanitizers test-fuzz test-valgrind test-memory fuzz quickstart bench clean

all: $(LIB) python

$(LIB): $(SOURCES) $(BUILD_DIR)/ship-configuration
	$(SWIFT) build $(SHIP_FLAGS)
	mkdir -p $(BUILD_DIR)
	cp $(SCRATCH)/$(SHIP_CONFIGURATION)/libfocalloss.so $(LIB).tmp
	strip --strip-unneeded $(LIB).tmp
	mv $(LIB).tmp $(LIB)
	ln -sf libfocalloss.so $(BUILD_DIR)/$(SONAME)

# Rewritten only when the configuration differs from the one recorded (make then sees it newer).
$(BUILD_DIR)/ship-configuration: FORCE
	@mkdir -p $(@D)
	@echo $(SHIP_CONFIGURATION) | cmp -s - $@ || echo $(SHIP_CONFIGURATION) > $@
.PHONY: FORCE

# The Python package, importable from the checkout with PYTHONPATH=bindings/python: the
# library next to the package under its SONAME, the name the extension records as NEEDED
# (both backends find it there; the extension via $$ORIGIN).
python: $(PY_PACKAGE)/$(SONAME) $(PY_EXT)

$(PY_PACKAGE)/$(SONAME): $(LIB)
	rm -f $(PY_PACKAGE)/libfocalloss.so
	cp $(LIB) $@

$(PY_EXT): $(PY_PACKAGE)/_ext.c include/focalloss.h $(LIB)
	$(CC) -std=c99 -O2 -shared -fPIC $(C_WARNINGS) -Iinclude -I$(PY_INCLUDES) $< \
	    -o $@ -L$(BUILD_DIR) -lfocalloss -Wl,-rpath,'$$ORIGIN'

# C tests: the header alone under C99 and C++, then the API test as C and as C++.
$(BUILD_DIR)/header_c99.o: include/focalloss.h
	mkdir -p $(BUILD_DIR)
	printf '#include "focalloss.h"\n' | $(CC) -std=c99 $(C_TEST_FLAGS) -x c -c - -o $@

$(BUILD_DIR)/header_cxx.o: include/focalloss.h
	mkdir -p $(BUILD_DIR)
	printf '#include "focalloss.h"\n' | $(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ -c - -o $@

$(BUILD_DIR)/test_api_c: Tests/c/test_api.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_api.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_api_cxx: Tests/c/test_api.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_api.c -x none -o $@ $(LINK_LIB)

# The _weighted functions (weights and stats), as C and as C++.
$(BUILD_DIR)/test_weights_c: Tests/c/test_weights.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_weights.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_weights_cxx: Tests/c/test_weights.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_weights.c -x none -o $@ $(LINK_LIB)

# The gradient-and-Hessian and init-score functions (gradient boosting), as C and as C++.
$(BUILD_DIR)/test_grad_hess_c: Tests/c/test_grad_hess.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_grad_hess.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_grad_hess_cxx: Tests/c/test_grad_hess.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_grad_hess.c -x none -o $@ $(LINK_LIB)

# The focal family (FL*, asymmetric, quality focal, varifocal) and Poly-1, as C and as C++.
$(BUILD_DIR)/test_family_c: Tests/c/test_family.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_family.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_family_cxx: Tests/c/test_family.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_family.c -x none -o $@ $(LINK_LIB)

# The f16 and bf16 functions against their f64 twins, as C and as C++.
$(BUILD_DIR)/test_half_c: Tests/c/test_half.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_half.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_half_cxx: Tests/c/test_half.c Tests/c/check.h include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_half.c -x none -o $@ $(LINK_LIB)

# Defines malloc and its family to count the library's allocations: C only, C11 for atomics.
$(BUILD_DIR)/test_alloc: Tests/c/test_alloc.c include/focalloss.h $(LIB)
	$(CC) -std=c11 $(C_TEST_FLAGS) Tests/c/test_alloc.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/quickstart: examples/quickstart.c include/focalloss.h $(LIB)
	$(CC) -std=c99 -Iinclude $(C_WARNINGS) -O2 examples/quickstart.c -o $@ $(LINK_LIB)

test: test-swift test-c test-symbols test-docs test-figures test-python test-hardening

test-swift:
	$(SWIFT) test

test-c: $(BUILD_DIR)/header_c99.o $(BUILD_DIR)/header_cxx.o $(BUILD_DIR)/test_api_c $(BUILD_DIR)/test_api_cxx \
        $(BUILD_DIR)/test_weights_c $(BUILD_DIR)/test_weights_cxx $(BUILD_DIR)/test_half_c $(BUILD_DIR)/test_half_cxx \
        $(BUILD_DIR)/test_grad_hess_c $(BUILD_DIR)/test_grad_hess_cxx $(BUILD_DIR)/test_family_c $(BUILD_DIR)/test_family_cxx \
        $(BUILD_DIR)/test_alloc $(BUILD_DIR)/speed_builds
	./$(BUILD_DIR)/test_api_c
	./$(BUILD_DIR)/test_api_cxx
	./$(BUILD_DIR)/test_weights_c
	./$(BUILD_DIR)/test_weights_cxx
	./$(BUILD_DIR)/test_grad_hess_c
	./$(BUILD_DIR)/test_grad_hess_cxx
	./$(BUILD_DIR)/test_family_c
	./$(BUILD_DIR)/test_family_cxx
	./$(BUILD_DIR)/test_half_c
	./$(BUILD_DIR)/test_half_cxx
	./$(BUILD_DIR)/test_alloc
	# The same API tests on the kernels of each lower instruction set (run-time dispatch).
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_api_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_api_c
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_weights_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_weights_c
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_grad_hess_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_grad_hess_c
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_family_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_family_c
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_half_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_half_c
	# The build-against-build timer of docs/performance.md runs (one round on a small input).
	./$(BUILD_DIR)/speed_builds $(LIB) $(LIB) sigmoid 64 10 1 exact 0.5 1
	./$(BUILD_DIR)/speed_builds $(LIB) $(LIB) softmax 64 10 1 fast 2 1
	for loss in sigmoid_star asymmetric quality varifocal; do \
		./$(BUILD_DIR)/speed_builds $(LIB) $(LIB) $$loss 64 10 1 exact 2 1 || exit 1; done

# Every C and Python block of the README and docs/ compiles (-Werror, C99 and C++) and runs,
# and prints the output block shown under it.
test-docs: all test-venv
	$(TEST_PYTHON) tools/check_doc_examples.py --build $(BUILD_DIR)

test-symbols: $(LIB) $(BUILD_DIR)/quickstart
	sh tools/check_symbols.sh $(LIB) include/focalloss.h
	sh tools/check_dispatch.sh $(SCRATCH)/$(SHIP_CONFIGURATION)/libfocalloss.so
	sh tools/check_standalone.sh $(LIB) $(BUILD_DIR)/quickstart

# The Python suite once per backend, then the slow packaging test (pip install into a fresh venv).
# It runs on build/test-venv: the system's numpy, pytest, hypothesis and mpmath
# (--system-site-packages) and from PyPI ml_dtypes, for the bfloat16 tests (tests/test_half.py),
# and xgboost, lightgbm and scikit-learn, for the boosting adapters (tests/test_boosting.py); those
# tests fail under CI without them. The package itself needs numpy only.
TEST_VENV   := $(BUILD_DIR)/test-venv
TEST_PYTHON := $(CURDIR)/$(TEST_VENV)/bin/python
PYTEST := cd bindings/python && PYTHONPATH=. $(TEST_PYTHON) -m pytest -q -p no:cacheprovider
test-python: python test-venv
	$(PYTEST) -m "not slow" --backend ctypes tests
	$(PYTEST) -m "not slow" --backend extension tests
	$(PYTEST) -m slow tests

.PHONY: test-venv
test-venv: $(TEST_VENV)/.ml_dtypes $(TEST_VENV)/.boosting $(TEST_VENV)/.torch $(TEST_VENV)/.jax $(TEST_VENV)/.tools
$(TEST_VENV)/.ml_dtypes:
	$(PYTHON) -m venv --system-site-packages $(TEST_VENV)
	$(TEST_PYTHON) -c "import ml_dtypes" 2>/dev/null || $(TEST_VENV)/bin/pip install -q ml_dtypes
	touch $@

# xgboost-cpu is XGBoost's wheel without CUDA (the same xgboost module); scikit-learn is what the
# XGBClassifier and LGBMClassifier estimators need. About 90 MB installed, 5 to 10 s from PyPI.
$(TEST_VENV)/.boosting: $(TEST_VENV)/.ml_dtypes
	$(TEST_PYTHON) -c "import xgboost, lightgbm, sklearn" 2>/dev/null || \
	    $(TEST_VENV)/bin/pip install -q xgboost-cpu lightgbm scikit-learn
	touch $@

# PyTorch and torchvision for focalloss.torch (tests/test_torch.py: torchvision's function is the
# reference, torch.compile and gradcheck run for real), and kornia, a peer in `make bench`. PyPI's torch wheel carries CUDA libraries:
# about 4 minutes and 6 GB here; installed once per clean clone, reused after.
$(TEST_VENV)/.torch: $(TEST_VENV)/.boosting
	$(TEST_PYTHON) -c "import torch, torchvision" 2>/dev/null || \
	    $(TEST_VENV)/bin/pip install -q torch torchvision
	$(TEST_PYTHON) -c "import kornia" 2>/dev/null || $(TEST_VENV)/bin/pip install -q kornia
	touch $@

# jax (CPU) and optax for focalloss.jax (tests/test_jax.py: optax.sigmoid_focal_loss is a reference).
$(TEST_VENV)/.jax: $(TEST_VENV)/.torch
	$(TEST_PYTHON) -c "import jax, optax" 2>/dev/null || \
	    $(TEST_VENV)/bin/pip install -q "jax[cpu]" optax
	touch $@

# ---------------------------------------------------------------- hardening (Tests/fuzz, Tests/c)
# Sanitizer builds of the library: ASan + coverage (for libFuzzer) and TSan. They use the Swift
# runtime's shared libraries from the toolchain, which the binaries find through its RUNPATH.
# Both are debug builds: the kernels are optimized in every configuration (Package.swift's
# kernelSettings), the rest (options, validation, threading, the C layer) is not. Each builds in
# about 2 minutes where the release configuration's whole-module builds took 13 (TSan) and 32
# (ASan + fuzzer) minutes on a slow 2-core machine (docs/hardening.md, make test's time).
SANITIZER_CC   := clang
SWIFT_LIB_DIR  := $(dir $(shell command -v swiftc))../lib/swift/linux
ASAN_LIB       := $(BUILD_DIR)/asan/libfocalloss.so
TSAN_LIB       := $(BUILD_DIR)/tsan/libfocalloss.so
SAN_FLAGS      := -std=c99 -Iinclude -g -O1 -pthread -fno-omit-frame-pointer -fuse-ld=bfd
FUZZ_SECONDS   ?= 600
FUZZ_TEST_SECONDS ?= 60
# The Swift runtime's crash reporter would read memory ASan has not mapped: report through ASan only.
SAN_ENV        := SWIFT_BACKTRACE=enable=no

$(ASAN_LIB): $(SOURCES)
	$(SWIFT) build -c debug --product focalloss --scratch-path .build-asan -Xswiftc -sanitize=fuzzer,address \
	    -Xswiftc -DFOCAL_SCRATCH_POISON
	mkdir -p $(@D)
	cp .build-asan/debug/libfocalloss.so $@

$(TSAN_LIB): $(SOURCES)
	$(SWIFT) build -c debug --product focalloss --scratch-path .build-tsan -Xswiftc -sanitize=thread
	mkdir -p $(@D)
	cp .build-tsan/debug/libfocalloss.so $@

$(BUILD_DIR)/asan/test_api: Tests/c/test_api.c Tests/c/check.h include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/asan/test_weights: Tests/c/test_weights.c Tests/c/check.h include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/asan/test_grad_hess: Tests/c/test_grad_hess.c Tests/c/check.h include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/asan/test_family: Tests/c/test_family.c Tests/c/check.h include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/asan/test_half: Tests/c/test_half.c Tests/c/check.h include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/asan/fuzz_api: Tests/fuzz/fuzz_api.c include/focalloss.h $(ASAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< -o $@ \
	    -L$(@D) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

$(BUILD_DIR)/tsan/test_concurrency: Tests/c/test_concurrency.c include/focalloss.h $(TSAN_LIB)
	$(SANITIZER_CC) $(SAN_FLAGS) -fsanitize=thread $< -o $@ -L$(@D) -lfocalloss -L$(SWIFT_LIB_DIR) -ldispatch \
	    -lBlocksRuntime -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,$(SWIFT_LIB_DIR)

$(BUILD_DIR)/test_concurrency: Tests/c/test_concurrency.c include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) $< -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_memory: Tests/c/test_memory.c include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) $< -o $@ $(LINK_LIB)

test-hardening: test-sanitizers test-swift-sanitizers test-fuzz test-valgrind test-memory

# The Swift tests of the core under Swift's own -sanitize=address and -sanitize=thread. Leak
# checking is off here only: XCTest's runner leaks a few objects of its own at exit; the library's
# leaks are checked by the C tests under ASan (detect_leaks=1) and valgrind. The FastMath suites
# (millions of scalar evaluations, no memory or threads to check) run once, in test-swift; the
# few-classes grid (thousands of small calls through the same threading code as every other
# suite) skips TSan, where it alone took 280 s, and runs under ASan. The ASan builds (here and
# the library's, for the C tests and the fuzzer) fill the kernels' uninitialized stack scratch
# with NaNs (FOCAL_SCRATCH_POISON, `uninitializedScratch` in KernelScalar.swift), so that an
# element read before it is written shows in a result.
test-swift-sanitizers:
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-swift-asan --skip FastMath \
	    -Xswiftc -DFOCAL_SCRATCH_POISON
	$(SAN_ENV) $(SWIFT) test --sanitize=thread --scratch-path .build-swift-tsan --skip FastMath --skip SoftmaxFewClasses --skip HalfPrecisionTests

# The C tests under ASan + UBSan (library built with ASan), the concurrency test plain and
# under TSan (library built with TSan).
test-sanitizers: $(BUILD_DIR)/asan/test_api $(BUILD_DIR)/asan/test_weights $(BUILD_DIR)/asan/test_half \
                 $(BUILD_DIR)/asan/test_grad_hess $(BUILD_DIR)/asan/test_family \
                 $(BUILD_DIR)/test_concurrency \
                 $(BUILD_DIR)/tsan/test_concurrency
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./$(BUILD_DIR)/asan/test_api
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./$(BUILD_DIR)/asan/test_weights
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./$(BUILD_DIR)/asan/test_half
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./$(BUILD_DIR)/asan/test_grad_hess
	$(SAN_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./$(BUILD_DIR)/asan/test_family
	./$(BUILD_DIR)/test_concurrency
	$(SAN_ENV) TSAN_OPTIONS=halt_on_error=1 ./$(BUILD_DIR)/tsan/test_concurrency

# A bounded fuzz run for `make test`; `make fuzz FUZZ_SECONDS=N` for as long as you like. New
# inputs go to build/fuzz-corpus; Tests/fuzz/corpus is the committed seed corpus.
test-fuzz: $(BUILD_DIR)/asan/fuzz_api
	mkdir -p $(BUILD_DIR)/fuzz-corpus
	$(SAN_ENV) ./$(BUILD_DIR)/asan/fuzz_api $(BUILD_DIR)/fuzz-corpus Tests/fuzz/corpus \
	    -max_total_time=$(FUZZ_TEST_SECONDS) -print_final_stats=1 -artifact_prefix=$(BUILD_DIR)/

fuzz: $(BUILD_DIR)/asan/fuzz_api
	mkdir -p $(BUILD_DIR)/fuzz-corpus
	$(SAN_ENV) ./$(BUILD_DIR)/asan/fuzz_api $(BUILD_DIR)/fuzz-corpus Tests/fuzz/corpus \
	    -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(BUILD_DIR)/

# valgrind memcheck on the shipped library through the C tests: no error, no definite leak.
# test_weights_c --light: every weighted function, layout, reduction and error, fewer large calls
# (9 s under valgrind instead of 36); test_grad_hess_c --light likewise (20 s); test_family_c --light (25 s).
test-valgrind: $(BUILD_DIR)/test_api_c $(BUILD_DIR)/test_weights_c $(BUILD_DIR)/test_grad_hess_c $(BUILD_DIR)/test_family_c \
               $(BUILD_DIR)/test_concurrency
	$(NEED) valgrind:valgrind
	valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite ./$(BUILD_DIR)/test_api_c
	valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite ./$(BUILD_DIR)/test_weights_c --light
	valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite ./$(BUILD_DIR)/test_grad_hess_c --light
	valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite ./$(BUILD_DIR)/test_family_c --light
	valgrind -q --error-exitcode=9 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite ./$(BUILD_DIR)/test_concurrency

# A million small calls and thousands of short-lived threads with a flat resident set.
test-memory: $(BUILD_DIR)/test_memory
	./$(BUILD_DIR)/test_memory

quickstart: $(BUILD_DIR)/quickstart
	./$(BUILD_DIR)/quickstart

# The benchmark: the shipped library through C (bench/bench.c), then numpy and the peers
# (bench/peers.py), one table. The floor loop in bench.c is compiled for this machine.
# tools/speed_builds.c: two builds of the library timed against each other (docs/performance.md).
$(BUILD_DIR)/speed_builds: tools/speed_builds.c include/focalloss.h
	$(CC) -std=c99 -Iinclude $(C_WARNINGS) -O2 tools/speed_builds.c -o $@ -ldl

$(BUILD_DIR)/bench: bench/bench.c include/focalloss.h $(LIB)
	$(CC) -std=c99 -Iinclude $(C_WARNINGS) -O3 -march=native bench/bench.c -o $@ $(LINK_LIB) -pthread

# The whole run, with what it ran on (peers.py prints the CPU and the versions), is kept in
# build/bench-run.txt and its numbers in
# build/bench-results.json: `make figures BENCH_RESULTS=build/bench-results.json` copies both
# into docs/figures/ and plots them.
bench: $(BUILD_DIR)/bench python $(if $(filter $(CURDIR)/build/test-venv/bin/python,$(BENCH_PYTHON)),test-venv)
	./$(BUILD_DIR)/bench > $(BUILD_DIR)/bench.tsv
	{ echo "# $$(date -u +%Y-%m-%d), make bench BENCH_PYTHON=$(BENCH_PYTHON)"; \
	  echo "# load average at the start (1, 5, 15 min): $(shell cut -d' ' -f1-3 /proc/loadavg)"; \
	  $(BENCH_PYTHON) bench/peers.py $(BUILD_DIR)/bench.tsv --json $(BUILD_DIR)/bench-results.json; } \
	  | tee $(BUILD_DIR)/bench-run.txt

# ---- Figures (docs/figures): every number from the library (tools/figures.py) ----
# matplotlib comes from PyPI into build/figures-venv (made over the system's numpy and pytest).
# FIGURES_PYTHON=/path/to/venv/bin/python draws with an interpreter that has matplotlib, torch
# and torchvision, so that the gradient figure marks torchvision's NaN region (the committed
# figures were drawn so). BENCH_RESULTS=build/bench-results.json brings in a new `make bench`.
FIGURES_VENV   := $(BUILD_DIR)/figures-venv
FIGURES_PYTHON ?= $(FIGURES_VENV)/bin/python
BENCH_RESULTS  ?=
FIGURES_DEPS   := all $(BUILD_DIR)/trainer $(if $(filter $(FIGURES_VENV)/bin/python,$(FIGURES_PYTHON)),figures-venv)

.PHONY: figures figures-venv test-figures
figures-venv: $(FIGURES_VENV)/.matplotlib
$(FIGURES_VENV)/.matplotlib:
	$(PYTHON) -m venv --system-site-packages $(FIGURES_VENV)
	$(FIGURES_VENV)/bin/python -c "import matplotlib" 2>/dev/null || $(FIGURES_VENV)/bin/pip install -q matplotlib
	touch $@

figures: $(FIGURES_DEPS)
	$(FIGURES_PYTHON) tools/figures.py --out docs/figures $(if $(BENCH_RESULTS),--bench-results $(BENCH_RESULTS))

# The plotted arrays equal direct library calls; every figure is written (into build/test-figures).
test-figures: $(FIGURES_DEPS)
	$(FIGURES_PYTHON) -m pytest -q -p no:cacheprovider tools/test_figures.py

# The dense accuracy sweep (Tests/FocalLossCoreTests/AccuracySweepTests.swift, skipped by plain
# `swift test`): both families and dtypes against the Float80 reference, the tables README quotes,
# also kept in build/accuracy.txt. Fails on a bound exceeded, or if the sweep did not run.
# FOCALLOSS_ACCURACY_GAMMAS=0,2,64 replaces the γ list; FOCALLOSS_INSTRUCTION_SET another build.
.PHONY: accuracy
accuracy:
	mkdir -p $(BUILD_DIR)
	{ FOCALLOSS_ACCURACY_SWEEP=1 $(SWIFT) test --filter AccuracySweep 2>&1; echo $$? > $(BUILD_DIR)/accuracy.rc; } \
	    | grep -v '^◇' | tee $(BUILD_DIR)/accuracy.txt
	test "$$(cat $(BUILD_DIR)/accuracy.rc)" = 0
	grep -q '^accuracy sweep sigmoid:' $(BUILD_DIR)/accuracy.txt && grep -q '^accuracy sweep softmax:' $(BUILD_DIR)/accuracy.txt \
	    && grep -q '^accuracy sweep sigmoid fast:' $(BUILD_DIR)/accuracy.txt \
	    && grep -q '^accuracy sweep softmax fast:' $(BUILD_DIR)/accuracy.txt

clean:
	rm -rf $(BUILD_DIR) $(SCRATCH) .build .build-asan .build-tsan .build-swift-asan .build-swift-tsan \
	    $(PY_PACKAGE)/libfocalloss.so* $(PY_PACKAGE)/_ext*.so

# ---- Native trainers: install (pkg-config, CMake), the training demo, data-parallel over MPI ----
# `make install PREFIX=...` (default /usr/local; DESTDIR for staging): the header, the library
# as libfocalloss.so.X.Y.Z with SONAME libfocalloss.so.X and the two usual symlinks,
# lib/pkgconfig/focalloss.pc, and lib/cmake/focalloss/ for find_package(focalloss).
PREFIX     ?= /usr/local
DESTDIR    ?=
INSTALL_LIB = $(DESTDIR)$(PREFIX)/lib
configure   = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
                  -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' -e 's|@SONAME@|$(SONAME)|g' $(1)

# Debian packages the native tests and demos need, installed when their command is missing.
NEED       := sh tools/need_debian_packages.sh
MPICC      ?= mpicc
# OpenMPI 4 in a container, as root (CI runs as root): shared memory and loopback only, no
# ssh launcher, no single-copy (CMA) transfers, which a container's ptrace rules may forbid.
MPIRUN     := mpirun --allow-run-as-root --oversubscribe --mca btl self,vader \
              --mca btl_vader_single_copy_mechanism none --mca plm_rsh_agent false -np 2
TRAINER_FLAGS := -std=c99 -Iinclude $(C_WARNINGS) -O3
TEST_PREFIX := $(CURDIR)/$(BUILD_DIR)/test-prefix

.PHONY: install demo demo-mpi test-install test-mpi

install: $(LIB)
	install -d $(DESTDIR)$(PREFIX)/include $(INSTALL_LIB)/pkgconfig $(INSTALL_LIB)/cmake/focalloss
	install -m 644 include/focalloss.h $(DESTDIR)$(PREFIX)/include/focalloss.h
	install -m 755 $(LIB) $(INSTALL_LIB)/libfocalloss.so.$(VERSION)
	ln -sfn libfocalloss.so.$(VERSION) $(INSTALL_LIB)/$(SONAME)
	ln -sfn $(SONAME) $(INSTALL_LIB)/libfocalloss.so
	$(call configure,packaging/focalloss.pc.in) > $(INSTALL_LIB)/pkgconfig/focalloss.pc
	$(call configure,packaging/focallossConfig.cmake.in) > $(INSTALL_LIB)/cmake/focalloss/focallossConfig.cmake
	$(call configure,packaging/focallossConfigVersion.cmake.in) \
	    > $(INSTALL_LIB)/cmake/focalloss/focallossConfigVersion.cmake

$(BUILD_DIR)/trainer: examples/trainer.c include/focalloss.h $(LIB)
	$(CC) $(TRAINER_FLAGS) examples/trainer.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/trainer_mpi: examples/trainer.c include/focalloss.h $(LIB)
	$(NEED) mpicc:libopenmpi-dev mpirun:openmpi-bin
	$(MPICC) -DFOCAL_TRAINER_MPI $(TRAINER_FLAGS) examples/trainer.c -o $@ $(LINK_LIB)

demo: $(BUILD_DIR)/trainer
	./$(BUILD_DIR)/trainer

demo-mpi: $(BUILD_DIR)/trainer_mpi
	$(MPIRUN) ./$(BUILD_DIR)/trainer_mpi

# Install into a scratch prefix, then build and run a C consumer through pkg-config and the C++
# example through CMake against it.
test-install: $(LIB)
	$(NEED) cmake:cmake pkg-config:pkg-config
	rm -rf $(TEST_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(TEST_PREFIX)
	sh tools/check_install.sh $(TEST_PREFIX) $(VERSION)

# The data-parallel trainer on 2 ranks ends with the single-process weights, up to rounding.
test-mpi: $(BUILD_DIR)/trainer $(BUILD_DIR)/trainer_mpi
	sh tools/check_mpi.sh ./$(BUILD_DIR)/trainer "$(MPIRUN) ./$(BUILD_DIR)/trainer_mpi"

test: test-install test-mpi

# Gradient boosting in C: examples/xgboost_focal.c boosts XGBoost trees (Debian's libxgboost-dev,
# XGBoosterBoostOneIter) on focal gradients and Hessians from the library, against XGBoost's own
# binary:logistic, over 5 seeds. The short runs check that every model learns, that the gradient
# dump and the data file are written, and that at gamma 0 without alpha the focal models are
# binary:logistic (same held-out AP and log-loss to 1e-4).
# The same problem in Python: examples/lightgbm_focal.py trains LightGBM (build/test-venv) on the
# data xgboost_focal writes, with focalloss.lightgbm's objective against LightGBM's own binary
# objective; its short run makes the same checks, the gamma-0 one included.
XGBOOST_HEADER := /usr/include/xgboost/c_api.h
LIGHTGBM_DEMO := PYTHONPATH=bindings/python $(TEST_PYTHON) examples/lightgbm_focal.py \
                 --xgboost-focal ./$(BUILD_DIR)/xgboost_focal

.PHONY: demo-xgboost test-xgboost demo-lightgbm

$(BUILD_DIR)/xgboost_focal: examples/xgboost_focal.c include/focalloss.h $(LIB)
	$(NEED) $(XGBOOST_HEADER):libxgboost-dev
	$(CC) $(TRAINER_FLAGS) examples/xgboost_focal.c -o $@ -lxgboost $(LINK_LIB)

demo-xgboost: $(BUILD_DIR)/xgboost_focal
	./$(BUILD_DIR)/xgboost_focal

demo-lightgbm: python test-venv $(BUILD_DIR)/xgboost_focal
	$(LIGHTGBM_DEMO)

test-xgboost: $(BUILD_DIR)/xgboost_focal python test-venv
	./$(BUILD_DIR)/xgboost_focal --short --dump-grad $(BUILD_DIR)/xgboost_grad.txt \
	    --write-data $(BUILD_DIR)/xgboost_data.csv
	./$(BUILD_DIR)/xgboost_focal --short --gamma 0 --alpha -1
	$(LIGHTGBM_DEMO) --short
	# The C trainer's first rounds' gradients and Hessians are the Python adapter's, on both backends.
	FOCALLOSS_BACKEND=ctypes PYTHONPATH=bindings/python $(TEST_PYTHON) tools/check_xgboost_dump.py $(BUILD_DIR)/xgboost_grad.txt
	FOCALLOSS_BACKEND=extension PYTHONPATH=bindings/python $(TEST_PYTHON) tools/check_xgboost_dump.py $(BUILD_DIR)/xgboost_grad.txt

test: test-xgboost

# ---- Python distributions: the binary wheel and the sdist (docs/install.md) ----
# auditwheel (checks the wheel's platform tag), build and wheel (build both distributions with
# this venv's setuptools, offline: --no-isolation) and mypy (test-typing), from PyPI into
# build/test-venv: about 32 MB (mypy 26 of them), 4 s.
$(TEST_VENV)/.tools: $(TEST_VENV)/.ml_dtypes
	$(TEST_PYTHON) -c "import auditwheel, build, wheel, mypy" 2>/dev/null || \
	    $(TEST_VENV)/bin/pip install -q auditwheel build wheel mypy
	touch $@

# The wheel holds the shipping library (as libfocalloss.so.MAJOR) and the extension; it is built
# for build/test-venv's interpreter (cpXY) and tagged manylinux_2_N, N the newest GLIBC_2.N symbol version the
# library needs (glibc 2.N or later; auditwheel show confirms the tag, tools/check_wheel.py).
# Tagging at build time, not `auditwheel repair`: there is nothing to graft (the library's NEEDED
# are all in the manylinux policy), and repair's renaming of in-wheel libraries would break the
# ctypes backend's lookup of libfocalloss.so.MAJOR next to __init__.py.
DIST_DIR       := dist
PY_TAG          = $(shell $(TEST_PYTHON) -c "import sys; print('cp%d%d' % sys.version_info[:2])")
WHEEL_GLIBC     = $(shell objdump -T $(LIB) | sed -n 's/.*GLIBC_2\.\([0-9][0-9]*\).*/\1/p' | sort -n | tail -1)
WHEEL_PLATFORM  = manylinux_2_$(WHEEL_GLIBC)_$(shell uname -m)
WHEEL           = $(DIST_DIR)/focalloss-$(VERSION)-$(PY_TAG)-$(PY_TAG)-$(WHEEL_PLATFORM).whl
SDIST           = $(DIST_DIR)/focalloss-$(VERSION).tar.gz
PY_BUILD       := $(TEST_PYTHON) -m build --no-isolation --outdir $(DIST_DIR)

.PHONY: wheel sdist test-wheel test-sdist test-typing
wheel: $(LIB) $(TEST_VENV)/.tools
	rm -rf bindings/python/build $(DIST_DIR)/focalloss-$(VERSION)-*.whl
	$(PY_BUILD) --wheel -C--build-option=--plat-name=$(WHEEL_PLATFORM) bindings/python
	$(TEST_PYTHON) tools/check_wheel.py $(WHEEL) --library $(LIB) --header include/focalloss.h

# The sdist: the package and native/ (Package.swift, the Makefile, include/, Sources/...), which
# `pip install focalloss-X.Y.Z.tar.gz` builds with `make` and Swift 6.3 (bindings/python/setup.py).
sdist: $(TEST_VENV)/.tools
	rm -f $(SDIST)
	$(PY_BUILD) --sdist bindings/python

clean: clean-dist
.PHONY: clean-dist
clean-dist:
	rm -rf $(DIST_DIR) bindings/python/build

# The wheel in a fresh venv (build/wheel-venv, the system's numpy) run without the Swift
# toolchain: PATH and LD_LIBRARY_PATH of the system only, from a directory outside the checkout,
# python -I (no PYTHONPATH, no script folder on sys.path). torch and torchvision come from
# build/test-venv through a .pth file, so the smoke test also runs focalloss.torch.
WHEEL_VENV     := $(BUILD_DIR)/wheel-venv
NO_SWIFT_ENV   := env -i HOME=$(HOME) LANG=C.UTF-8 PATH=/usr/bin:/bin
site_packages   = $$($(1) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
test-wheel: wheel test-venv
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv --system-site-packages $(WHEEL_VENV)
	echo $(call site_packages,$(TEST_PYTHON)) > $(call site_packages,$(WHEEL_VENV)/bin/python)/focalloss-test-venv.pth
	$(NO_SWIFT_ENV) $(WHEEL_VENV)/bin/python -m pip install -q --no-index --disable-pip-version-check $(WHEEL)
	cd / && for backend in ctypes extension; do \
	    $(NO_SWIFT_ENV) FOCALLOSS_BACKEND=$$backend $(CURDIR)/$(WHEEL_VENV)/bin/python -I \
	        $(CURDIR)/tools/wheel_smoke.py --checkout $(CURDIR) --require-torch || exit 1; done

test: test-wheel

# The sdist built from source as a user would: `pip install focalloss-X.Y.Z.tar.gz` into a fresh
# venv (build/sdist-venv; pip fetches setuptools and wheel for the isolated build), the library
# built by the sdist's own Makefile from its own native/ copy, then the smoke test without Swift.
# The build is Swift's debug configuration (SHIP_CONFIGURATION=debug, which pip passes on to
# make through the environment): the same sources, Makefile rule and link flags as a user's
# release build, in about 2 minutes where the release build took 7 to 15 (it is built and tested
# once already, from the checkout's tree, for everything else in `make test`).
SDIST_VENV     := $(BUILD_DIR)/sdist-venv
test-sdist: sdist
	rm -rf $(SDIST_VENV)
	$(PYTHON) -m venv --system-site-packages $(SDIST_VENV)
	cd / && SHIP_CONFIGURATION=debug $(CURDIR)/$(SDIST_VENV)/bin/python -m pip install -q --disable-pip-version-check \
	    $(CURDIR)/$(SDIST)
	cd / && for backend in ctypes extension; do \
	    $(NO_SWIFT_ENV) FOCALLOSS_BACKEND=$$backend $(CURDIR)/$(SDIST_VENV)/bin/python -I \
	        $(CURDIR)/tools/wheel_smoke.py --checkout $(CURDIR) || exit 1; done

test: test-sdist

# The type information the wheel ships (py.typed, bindings/python/focalloss/*.pyi): mypy.stubtest
# checks the stubs against the runtime package (every public name, signature and default; the
# allowlist and mypy.ini in tests/typing say what is left out and why), then mypy --strict
# type-checks tests/typing/usage.py through the stubs and python runs it on both backends, so that
# what mypy is told each call returns is also what it returns. mypy's caches go to
# build/mypy-cache (stubtest writes its own into the directory it runs in).
TYPING_DIR     := bindings/python/tests/typing
MYPY_ENV       := MYPY_CACHE_DIR=$(CURDIR)/$(BUILD_DIR)/mypy-cache PYTHONPATH=$(CURDIR)/bindings/python
test-typing: python test-venv
	mkdir -p $(BUILD_DIR)/mypy-cache
	cd $(BUILD_DIR)/mypy-cache && $(MYPY_ENV) $(TEST_PYTHON) -m mypy.stubtest focalloss \
	    --mypy-config-file $(CURDIR)/$(TYPING_DIR)/mypy.ini --allowlist $(CURDIR)/$(TYPING_DIR)/stubtest-allowlist.txt
	cd $(TYPING_DIR) && $(MYPY_ENV) $(TEST_PYTHON) -m mypy --strict --config-file mypy.ini usage.py
	cd bindings/python && $(MYPY_ENV) $(TEST_PYTHON) -m mypy --strict --config-file $(CURDIR)/$(TYPING_DIR)/mypy.ini \
	    focalloss/torch.py focalloss/jax.py
	cd $(TYPING_DIR) && for backend in ctypes extension; do \
	    FOCALLOSS_BACKEND=$$backend $(MYPY_ENV) $(TEST_PYTHON) usage.py || exit 1; done

test: test-typing
