# focalloss: `make` builds the shipping library, `make test` runs every test, `make demo`
# runs the quickstart, `make bench` times the library against numpy and the peers. See README.md.

SWIFT      ?= swift
CC         ?= cc
CXX        ?= c++
PYTHON     ?= python3
# The interpreter for bench/peers.py: numpy is needed; torch, torchvision and kornia are used
# when they import (e.g. make bench BENCH_PYTHON=/path/to/venv/bin/python).
BENCH_PYTHON ?= $(PYTHON)
BUILD_DIR  := build
SCRATCH    := .build-release
LIB        := $(BUILD_DIR)/libfocalloss.so
SOURCES    := Package.swift include/focalloss.h tools/exports.map $(shell find Sources -name '*.swift' -o -name '*.[ch]')

# The shipping library: Swift runtime linked in statically, only focal_* exported,
# every symbol resolved at link time. Kept out of Package.swift on purpose (TOOLCHAIN.md).
SHIP_FLAGS := -c release --product focalloss --scratch-path $(SCRATCH) \
              -Xswiftc -static-stdlib \
              -Xlinker --no-undefined \
              -Xlinker --version-script=$(CURDIR)/tools/exports.map

C_WARNINGS := -Wall -Wextra -pedantic -Werror
C_TEST_FLAGS := -Iinclude $(C_WARNINGS) -O1 -g -pthread
LINK_LIB   := -L$(BUILD_DIR) -lfocalloss -Wl,-rpath,'$$ORIGIN' -lm

.PHONY: all test test-swift test-c test-symbols demo bench clean

all: $(LIB)

$(LIB): $(SOURCES)
	$(SWIFT) build $(SHIP_FLAGS)
	mkdir -p $(BUILD_DIR)
	cp $(SCRATCH)/release/libfocalloss.so $(LIB).tmp
	strip --strip-unneeded $(LIB).tmp
	mv $(LIB).tmp $(LIB)

# C tests: the header alone under C99 and C++, then the API test as C and as C++.
$(BUILD_DIR)/header_c99.o: include/focalloss.h
	mkdir -p $(BUILD_DIR)
	printf '#include "focalloss.h"\n' | $(CC) -std=c99 $(C_TEST_FLAGS) -x c -c - -o $@

$(BUILD_DIR)/header_cxx.o: include/focalloss.h
	mkdir -p $(BUILD_DIR)
	printf '#include "focalloss.h"\n' | $(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ -c - -o $@

$(BUILD_DIR)/test_api_c: Tests/c/test_api.c include/focalloss.h $(LIB)
	$(CC) -std=c99 $(C_TEST_FLAGS) Tests/c/test_api.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/test_api_cxx: Tests/c/test_api.c include/focalloss.h $(LIB)
	$(CXX) -std=c++11 $(C_TEST_FLAGS) -x c++ Tests/c/test_api.c -x none -o $@ $(LINK_LIB)

# Defines malloc and its family to count the library's allocations: C only, C11 for atomics.
$(BUILD_DIR)/test_alloc: Tests/c/test_alloc.c include/focalloss.h $(LIB)
	$(CC) -std=c11 $(C_TEST_FLAGS) Tests/c/test_alloc.c -o $@ $(LINK_LIB)

$(BUILD_DIR)/quickstart: examples/quickstart.c include/focalloss.h $(LIB)
	$(CC) -std=c99 -Iinclude $(C_WARNINGS) -O2 examples/quickstart.c -o $@ $(LINK_LIB)

test: test-swift test-c test-symbols

test-swift:
	$(SWIFT) test

test-c: $(BUILD_DIR)/header_c99.o $(BUILD_DIR)/header_cxx.o $(BUILD_DIR)/test_api_c $(BUILD_DIR)/test_api_cxx \
        $(BUILD_DIR)/test_alloc
	./$(BUILD_DIR)/test_api_c
	./$(BUILD_DIR)/test_api_cxx
	./$(BUILD_DIR)/test_alloc
	# The same API test on the kernels of each lower instruction set (run-time dispatch).
	FOCALLOSS_INSTRUCTION_SET=baseline ./$(BUILD_DIR)/test_api_c
	FOCALLOSS_INSTRUCTION_SET=avx2 ./$(BUILD_DIR)/test_api_c

test-symbols: $(LIB) $(BUILD_DIR)/quickstart
	sh tools/check_symbols.sh $(LIB) include/focalloss.h
	sh tools/check_dispatch.sh $(SCRATCH)/release/libfocalloss.so
	sh tools/check_standalone.sh $(LIB) $(BUILD_DIR)/quickstart

demo: $(BUILD_DIR)/quickstart
	./$(BUILD_DIR)/quickstart

# The benchmark: the shipped library through C (bench/bench.c), then numpy and the peers
# (bench/peers.py), one table. The floor loop in bench.c is compiled for this machine.
$(BUILD_DIR)/bench: bench/bench.c include/focalloss.h $(LIB)
	$(CC) -std=c99 -Iinclude $(C_WARNINGS) -O3 -march=native bench/bench.c -o $@ $(LINK_LIB) -pthread

bench: $(BUILD_DIR)/bench
	./$(BUILD_DIR)/bench > $(BUILD_DIR)/bench.tsv
	$(BENCH_PYTHON) bench/peers.py $(BUILD_DIR)/bench.tsv

clean:
	rm -rf $(BUILD_DIR) $(SCRATCH) .build
