#include "kd/base/torch_errors.h"

#include <c10/util/Exception.h>

#include <cstdio>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kd {

std::string ExceptionMessage(const std::exception& e) {
  const auto* error = dynamic_cast<const c10::Error*>(&e);
  const std::string text = error != nullptr ? error->what_without_backtrace()
                                            : std::string(e.what());
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  return absl::StrJoin(lines, " / ");
}

int RunReportingExceptions(const char* program,
                           const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, ExceptionMessage(e).c_str());
    return 1;
  }
}

}  // namespace kd
