# Mino's entry points. Each target installs what it needs first (scripts/setup.sh).
SWIFT ?= swift

.PHONY: demo test bench setup build clean golden golden-check

## Train the digits MLP on the default backend (the main job).
demo:
	scripts/setup.sh
	$(SWIFT) build -c release --product mino
	.build/release/mino train

## Build and run every test (installs the Python environment with torch first).
test:
	scripts/setup.sh --python
	$(SWIFT) build --build-tests
	$(SWIFT) test

## Benchmarks against PyTorch and raw OpenBLAS: prints ratios, writes bench-results/bench.json.
## BENCH_FLAGS=--quick for a short run.
bench:
	scripts/setup.sh --python
	$(SWIFT) build -c release --product mino-bench
	.build/release/mino-bench $(BENCH_FLAGS)

## Regenerate the conformance suite's PyTorch golden values (Conformance/Golden/).
golden:
	scripts/setup.sh --python
	Conformance/golden.sh

## Check that the committed golden values reproduce (the tests do this too).
golden-check:
	scripts/setup.sh --python
	Conformance/golden.sh --check

## System packages and the project's Python environment.
setup:
	scripts/setup.sh --python

build:
	scripts/setup.sh
	$(SWIFT) build -c release

clean:
	rm -rf .build
