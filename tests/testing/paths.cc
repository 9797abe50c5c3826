#include "tests/testing/paths.h"

#include <cstdlib>
#include <filesystem>

namespace kd {
namespace testing {

std::string TestTempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string TestTempPath(const std::string& name) {
  return TestTempDir() + "/" + name;
}

std::string FreshTestTempPath(const std::string& name) {
  const std::string path = TestTempPath(name);
  std::filesystem::remove_all(path);
  return path;
}

std::string RunfilePath(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return path;
  return std::string(srcdir) + "/" + (workspace ? workspace : "kd") + "/" +
         path;
}

}  // namespace testing
}  // namespace kd
