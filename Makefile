.PHONY: run test ci lint lock
run:
	scripts/run
test:
	scripts/test
lint:
	. .venv/bin/activate && ruff check .
ci:
	bash .ci/run
lock:
	scripts/lock
