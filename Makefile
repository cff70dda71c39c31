# craft build. Plain GNU make (no configure step, like llm.c): every .c under src/ is part of
# libcraft except src/cli/, which is the `craft` executable; every tests/*.c is linked into one
# Criterion runner. `make SAN=1 ...` builds into build-san/ with ASan+UBSan.
CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2
CFLAGS  := -std=c17 -Wall -Wextra -Werror -g $(OPT) -fopenmp -D_GNU_SOURCE -Iinclude -Isrc $(EXTRA_CFLAGS)
# OpenBLAS's OpenMP build, linked by path: it runs single-threaded inside our OpenMP regions
# (rollout worlds, eval routes) and on our OpenMP threads outside them. The pthread build would
# start its own pool beside ours and spin in sched_yield against it (2x slower on 2 cores).
BLAS_DIR := /usr/lib/x86_64-linux-gnu/openblas-openmp
CFLAGS  += -isystem /usr/include/x86_64-linux-gnu/openblas-openmp
LDLIBS  := -L$(BLAS_DIR) -Wl,-rpath,$(BLAS_DIR) -lopenblas -lcjson -lcairo -lfontconfig -lgif -lzstd -lxxhash -lm
# MPI (OpenMPI from Debian) when its headers are installed; without them craft runs as one process.
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
ifneq ($(MPI_CFLAGS),)
CFLAGS  += -DCRAFT_MPI $(MPI_CFLAGS)
LDLIBS  += $(shell pkg-config --libs ompi-c)
endif
ifeq ($(SAN),1)
BUILD   := build-san
CFLAGS  := $(filter-out -O2,$(CFLAGS)) -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
LDFLAGS += -fopenmp

LIB_SRC  := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
DEPS     := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

.PHONY: all deps run test bench check clean
all: $(BUILD)/craft

# Debian packages this project needs (see shared spec DEPENDENCIES.md). Needs root.
DEB_PKGS := build-essential libopenblas-openmp-dev libcjson-dev libcairo2-dev libgif-dev libzstd-dev libxxhash-dev libcriterion-dev libopenmpi-dev openmpi-bin
deps:
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	 else sudo apt-get update -qq && sudo apt-get install -y -qq $(DEB_PKGS) >/dev/null; fi

$(BUILD)/libcraft.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	ar rcs $@ $^

$(BUILD)/craft: $(CLI_OBJ) $(BUILD)/libcraft.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/craft_tests: $(TEST_OBJ) $(BUILD)/libcraft.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The main job on built-in defaults.
run: $(BUILD)/craft
	./$(BUILD)/craft demo

# OPENBLAS_NUM_THREADS=1: tests pin BLAS to one thread; parallelism comes from OpenMP and Criterion's jobs.
test: $(BUILD)/craft_tests $(BUILD)/craft
	OPENBLAS_NUM_THREADS=1 ./$(BUILD)/craft_tests --jobs 2 $(TEST_ARGS)
	CRAFT=./$(BUILD)/craft sh tests/cli_test.sh
ifneq ($(SAN),1)
	CRAFT=./$(BUILD)/craft sh tests/mpi_test.sh
endif

bench: $(BUILD)/craft
	./$(BUILD)/craft bench sim
	./$(BUILD)/craft bench nn
	./$(BUILD)/craft bench score

check: test
	$(MAKE) SAN=1 test

clean:
	rm -rf build build-san

-include $(DEPS)
