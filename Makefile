# The two commands: `make evaluate` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-slow evaluate bench data train clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,ray]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

evaluate: $(STAMP)
	$(PY) -m simgrasp.evaluate

# Retrain the shipped weights (assets/weights/default.pt) from scratch on this CPU:
# generate the datasets (resumable), train, export. See assets/weights/README.md.
DATA ?= data
RUN ?= runs/default
data: $(STAMP)
	$(PY) -m simgrasp.dataset generate --objects random_urdfs:800-899 --scenes-per-object 1 --out $(DATA)/val --workers 2 --seed 1 --resume
	$(PY) -m simgrasp.dataset generate --objects random_urdfs:0-799 --scenes-per-object 2 --out $(DATA)/train --workers 2 --seed 0 --resume
	$(PY) -m simgrasp.dataset generate --objects random_urdfs:900-999 --scenes-per-object 2 --out $(DATA)/test --workers 2 --seed 2 --resume

train: data
	$(PY) -m simgrasp.train --data $(DATA)/train --val $(DATA)/val --out $(RUN) --preset cpu --iterations 1600 --seed 0 \
		$$(test -f $(RUN)/last.pt && echo --resume $(RUN)/last.pt)
	$(PY) -m simgrasp.model.checkpoint export $(RUN)/last.pt assets/weights/default.pt

bench: $(STAMP)
	$(PY) -m simgrasp.bench all

clean:
	rm -rf $(VENV) build *.egg-info
