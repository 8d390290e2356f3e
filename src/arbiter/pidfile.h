// The master's pid file, as gunicorn manages it: refuse to start when the
// file names a live process; remove it on exit only if it still holds our pid.
#pragma once

#include <string>

#include "core/result.h"

namespace qilin::arbiter {

class Pidfile {
 public:
  Status create(const std::string& path, int pid);
  void unlink();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int pid_ = 0;
};

}  // namespace qilin::arbiter
