# Glass: `make help` lists every target.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help setup build generate verify lint format image test bench start demo kind-e2e e2e-local cluster-up cluster-down cluster-smoke clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

setup: ## install prerequisites (apt packages, npm ci) on a fresh Debian/Ubuntu machine
	@hack/setup.sh

build: setup ## build everything: guests (AssemblyScript, WAT) and TypeScript
	npm run build

generate: build ## rewrite generated files (samples in crds/samples) from their sources
	npm run generate

verify: build ## fail on generated-file drift, lint, formatting or type errors
	npm run verify

lint: setup ## ESLint and Prettier
	npm run lint

format: setup ## rewrite files in Prettier's style
	npm run format

image: setup ## build the image (localhost/glass:dev) and its Redis (localhost/glass-redis:dev) with podman
	hack/image.sh

test: verify image ## verify, build the image, then every test: mocha (the image's too) and the e2e on a real kubelet
	npx mocha
	node hack/e2e/dist/src/main.js

bench: build ## benchmarks: ratios against baselines measured in the same run
	npm run bench

start: build ## run a local Glass cluster (runtimes + router on localhost:8080)
	npm start

demo: build ## the classic demo: three Faaslets on a shared counter, 100 -> 160
	npx glass demo

e2e-local: build image ## (root) the README's lines on a real kubelet: helm install, apply, port-forward, curl, kill -9, rollout, scale
	node hack/e2e/dist/src/main.js

kind-e2e: ## on a machine with Docker: helm install, apply, port-forward, curl on a kind cluster
	hack/kind-e2e.sh

cluster-up: ## (root) a real single-node cluster on this machine: containerd, kubelet, kube-proxy, CoreDNS
	hack/cluster.sh up

cluster-down: ## (root) stop it and restore the machine
	hack/cluster.sh down

cluster-smoke: ## (root) up, pods from local images, logs/exec/port-forward/DNS/pod->API, down, machine diff
	hack/cluster-smoke.sh

clean: ## remove build outputs
	rm -rf */dist hack/e2e/dist guests/build bench-results *.tsbuildinfo
