// Exceptions from libtorch in messages: c10::Error::what() carries a C++
// stack trace of 20 lines or more; users get one line (the message alone).
//
//   } catch (const std::exception& e) {
//     return absl::InvalidArgumentError(
//         absl::StrCat(path, ": ", ExceptionMessage(e)));
//   }
#ifndef KD_BASE_TORCH_ERRORS_H_
#define KD_BASE_TORCH_ERRORS_H_

#include <exception>
#include <functional>
#include <string>

namespace kd {

// The exception's message on one line: for a c10::Error without its stack
// trace, for any exception with line breaks folded into " / ".
std::string ExceptionMessage(const std::exception& e);

// Runs a tool's main body; an exception that escapes it is reported as
// "<program>: <ExceptionMessage>" on stderr and exit code 1 (never a stack
// trace, never std::terminate).
//
//   int main(int argc, char** argv) {
//     return kd::RunReportingExceptions("train", [&] { return Main(argc, argv);
//     });
//   }
int RunReportingExceptions(const char* program,
                           const std::function<int()>& body);

}  // namespace kd

#endif  // KD_BASE_TORCH_ERRORS_H_
