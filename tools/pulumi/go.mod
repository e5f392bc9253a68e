// Build module for the Pulumi CLI the engine driver runs. It pins the CLI with
// a `tool` directive; `make pulumi-cli` builds it into the ignored cache when
// the pinned version is not already on PATH. Never imported by the
// repository's code.
module github.com/zdt-eks/zdt/tools/pulumi

go 1.26.8
