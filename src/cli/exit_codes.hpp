#pragma once
// The exit codes scripts branch on (documented in README.md and llmmem.1).
namespace llmmem::cli {

enum class ExitCode : int {
  ok = 0,
  internal = 1,      // a bug: an unexpected exception
  usage = 2,         // bad flag or value
  input = 3,         // missing/malformed file or config, unknown model
  unsupported = 4,   // an architecture the estimator does not model yet
  does_not_fit = 5,  // --check: the estimate does not fit on the GPUs given
  no_gpu = 6,        // --gpu local / gpus --local: no GPU or GPU tool found
  network = 7,       // the Hub: gated, not found, rate limited, timed out, hostile answer, offline
};

}  // namespace llmmem::cli
