# `sam build` runs `make --makefile Makefile build-<LogicalId> ARTIFACTS_DIR=<folder>` for every function
# of template.yaml (each has `Metadata: BuildMethod: makefile`). The target never writes to this checkout:
# it copies the build inputs to a throwaway folder, installs exactly the lock file's versions there
# (`npm ci`, devDependencies included: esbuild and yaml are build tools) and runs the same bundling code
# as `npm run build` (scripts/build.mjs), writing only to ARTIFACTS_DIR. Needs make, node and npm.

FUNCTIONS := ReceiveWebhookFunction LoadBatchFunction QueryEventsFunction MaintainFunction MigrateFunction
INPUTS := package.json package-lock.json tsconfig.json template.yaml scripts src sql

.PHONY: $(addprefix build-,$(FUNCTIONS))

$(addprefix build-,$(FUNCTIONS)):
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	@set -eu; \
	out=$$(mkdir -p "$(ARTIFACTS_DIR)" && cd "$(ARTIFACTS_DIR)" && pwd); \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	cp -R $(INPUTS) "$$work"/; \
	cd "$$work"; \
	npm ci --include=dev --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error; \
	node scripts/build.mjs --function $(@:build-%=%) --outdir "$$out"
