#pragma once
// Errors thrown by the library. The CLI maps each kind to a documented exit code
// (see ExitCode in src/cli/exit_codes.hpp and the README); the library itself never exits.
#include <stdexcept>
#include <string>

namespace llmmem {

// Base of every error the library throws on purpose. what() is one line naming the culprit.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A request that makes no sense: a bad option value, batch <= 0, an unknown precision name.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Input that cannot be read or is malformed: a missing file, broken JSON, a missing or wrong-typed key.
class InputError : public Error {
 public:
  using Error::Error;
};

// A well-formed input the estimator cannot model yet (an unknown model_type).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// A number too large to represent in 64 bits (bytes, parameters, tokens).
class OverflowError : public Error {
 public:
  using Error::Error;
};

// The network failed or refused: a gated or missing repository on the Hub, rate limiting that
// outlasted the retries, a timeout, a hostile response, or a model that needs the network when it
// is forbidden (--offline, HF_HUB_OFFLINE=1).
class NetworkError : public Error {
 public:
  using Error::Error;
};

}  // namespace llmmem
