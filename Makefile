# The two commands: `make evaluate` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install test test-slow evaluate docs bench data train train-family clean

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

# The first run: the shipped network against the depth heuristic and random on object
# families no training run saw, with randomised looks, on every core: the headline suite's
# scenes (evaluations/heldout.toml) for these three policies, so its rows are the headline's.
NPROC := $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
FIRST_TRIALS ?= 200
evaluate: $(STAMP)
	$(PY) -m simgrasp.evaluate --policy scorer,heuristic,random --objects pybullet_objects,procedural:test \
		--backend-option appearance=randomized --trials $(FIRST_TRIALS) --workers $(NPROC)

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on a broken link.
docs: $(STAMP)
	$(PY) -m pip install -q -e '.[dev,ray,docs]'
	$(PY) -m mkdocs build --strict --site-dir site

# Retrain the shipped weights (assets/weights/default.pt) from scratch on this CPU:
# generate the datasets (resumable; randomised looks, every tried grasp kept), train with
# the `sim` preset, export. See assets/weights/README.md for what it costs.
DATA ?= data
RUN ?= runs/default
GEN := $(PY) -m simgrasp.dataset generate --workers 2 --resume --scenes-per-object 1
data: $(STAMP)
	$(GEN) --objects random_urdfs:800-899,procedural:validation --out $(DATA)/val --seed 1
	$(GEN) --objects random_urdfs:0-799 --out $(DATA)/train_ru --seed 0
	$(GEN) --objects procedural:train --out $(DATA)/train_proc --seed 3
	$(GEN) --objects random_urdfs:900-999,procedural:test --out $(DATA)/test --seed 2
	$(GEN) --objects random_urdfs:0-799 --scene pile:5 --limit-objects 60 --out $(DATA)/train_pile --seed 4
	$(GEN) --objects procedural:train --scene packed:5 --limit-objects 60 --out $(DATA)/train_packed --seed 5

TRAIN_DATA := $(DATA)/train_ru,$(DATA)/train_proc,$(DATA)/train_pile,$(DATA)/train_packed
train: data
	$(PY) -m simgrasp.train --data $(TRAIN_DATA) --val $(DATA)/val --depth stereo \
		--out $(RUN) --preset sim --seed 0 $$(test -f $(RUN)/last.pt && echo --resume $(RUN)/last.pt)
	$(PY) -m simgrasp.model.export $(RUN)/last.pt assets/weights/default.pt

# Another published family on the same data (FAMILY=ggcnn2, grconvnet or zhou: the CPU preset of
# that name; FAMILY=ggcnn2-paper etc. for the published schedule), exported to assets/weights/FAMILY.pt.
FAMILY ?= ggcnn2
train-family: data
	$(PY) -m simgrasp.train --data $(TRAIN_DATA) --val $(DATA)/val --depth stereo \
		--out runs/$(FAMILY) --preset $(FAMILY) --seed 0 $$(test -f runs/$(FAMILY)/last.pt && echo --resume runs/$(FAMILY)/last.pt)
	$(PY) -m simgrasp.model.export runs/$(FAMILY)/last.pt assets/weights/$(FAMILY).pt

bench: $(STAMP)
	$(PY) -m simgrasp.bench all

clean:
	rm -rf $(VENV) build site *.egg-info
