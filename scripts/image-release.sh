#!/usr/bin/env bash
# Builds, publishes, signs and promotes the workload image. Called by the pipeline's image steps.
#
#   scripts/image-release.sh build   OUT_DIR                 linux/amd64 image -> OUT_DIR/image.tar (no push)
#   scripts/image-release.sh publish OUT_DIR                 push the scanned image to the first environment
#   scripts/image-release.sh promote RESULTS_DIR             copy to this environment's repository, tag, attach
#                                                             the SBOM, sign with AWS Signer, verify
#
# Environment: COMMIT_SHA, TARGET_ENV, TARGET_REGISTRY (ACCOUNT.dkr.ecr.REGION.amazonaws.com), REPOSITORY
# (the environment's repository, <env>/<image_repository> from delivery.toml), RELEASE_VERSION,
# SIGNING_PROFILE_ARN, and for promote
# SOURCE_REGISTRY/SOURCE_REPOSITORY (the previous environment's). Tags never move: every ECR repository
# is immutable, so a tag that exists already fails the push instead of replacing an image.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "image-release: $*" >&2; exit 1; }
need() { for name in "$@"; do [[ -n "${!name:-}" ]] || die "$name is not set"; done; }
sha_tag() { need COMMIT_SHA; echo "${COMMIT_SHA:0:40}"; }

registry_login() {
  # A short-lived token from the build role, piped, never echoed or stored in the build environment.
  local registry="$1" tool="$2"
  aws ecr get-login-password --region "$(cut -d. -f4 <<< "$registry")" \
    | "$tool" login --username AWS --password-stdin "$registry" > /dev/null
}

case "${1:-}" in
  build)
    out="${2:?OUT_DIR}"; mkdir -p "$out"
    # Fargate runs linux/amd64: build for it explicitly, whatever the build host is.
    docker build --platform linux/amd64 --pull --tag "polls:$(sha_tag)" service/
    docker save --output "$out/image.tar" "polls:$(sha_tag)"
    ;;
  publish)
    need TARGET_REGISTRY REPOSITORY
    out="${2:?OUT_DIR}"
    docker load --input "$out/image.tar" > /dev/null
    registry_login "$TARGET_REGISTRY" docker
    docker tag "polls:$(sha_tag)" "$TARGET_REGISTRY/$REPOSITORY:$(sha_tag)"
    docker push --quiet "$TARGET_REGISTRY/$REPOSITORY:$(sha_tag)"
    ;;
  promote)
    need TARGET_ENV TARGET_REGISTRY REPOSITORY RELEASE_VERSION SIGNING_PROFILE_ARN
    results="${2:?RESULTS_DIR}"
    target="$TARGET_REGISTRY/$REPOSITORY"
    registry_login "$TARGET_REGISTRY" oras
    if [[ -n "${SOURCE_REPOSITORY:-}" ]]; then
      need SOURCE_REGISTRY
      registry_login "$SOURCE_REGISTRY" oras
      # Only what passed the previous environment: copied from its repository, by commit.
      oras cp "$SOURCE_REGISTRY/$SOURCE_REPOSITORY:$(sha_tag)" "$target:$(sha_tag)"
    fi
    digest="$(oras resolve "$target:$(sha_tag)")"
    oras tag "$target@$digest" "$RELEASE_VERSION-$TARGET_ENV"
    oras attach --artifact-type application/vnd.cyclonedx+json "$target@$digest" \
      "$results/sbom.cdx.json:application/vnd.cyclonedx+json" > /dev/null
    notation sign --plugin com.amazonaws.signer.notation.plugin --id "$SIGNING_PROFILE_ARN" "$target@$digest"
    # Verify against a policy that trusts only our signing profile, right before the deploy that follows.
    policy="$(mktemp)"
    cat > "$policy" <<JSON
{"version": "1.0", "trustPolicies": [{"name": "platform", "registryScopes": ["$target"],
  "signatureVerification": {"level": "strict"}, "trustStores": ["signingAuthority:aws-signer-ts"],
  "trustedIdentities": ["$SIGNING_PROFILE_ARN"]}]}
JSON
    notation policy import --force "$policy"
    notation verify "$target@$digest"
    echo "image-release: $target@$digest tagged $(sha_tag) and $RELEASE_VERSION-$TARGET_ENV, SBOM attached, signed, verified"
    ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
