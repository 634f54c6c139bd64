source <(sed "/^command=\${1:-}/,\$d" dev); set +e +u +o pipefail; start_postgres; start_nats
export SKYTRACE_PYTHON=$PWD/target/py/bin/python CARGO_INCREMENTAL=0
cargo test --workspace --features service/test-support 2>&1 | grep -E "^(warning|error)|test result|panicked|FAILED|failures:" -A3
stop_nats
