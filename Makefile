.PHONY: run test ci lint
run:
	scripts/run
test:
	scripts/test
lint:
	. .venv/bin/activate && ruff check .
ci:
	bash .ci/run
