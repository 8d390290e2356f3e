// The master's pid file, as gunicorn manages it: refuse to start when the
// file names a live process; remove it on exit only if it still holds our
// pid. A master executed by USR2 writes "<pidfile>.2" and renames it to the
// plain name once the old master is gone (gunicorn's Pidfile.rename).
#pragma once

#include <string>

#include "core/result.h"

namespace qilin::arbiter {

class Pidfile {
 public:
  Status create(const std::string& path, int pid);
  // Moves our file to `path`, replacing what is there: whoever wrote that
  // has exited. Nothing when no file was created.
  Status rename(const std::string& path);
  void unlink();
  const std::string& path() const { return path_; }

 private:
  Status write(const std::string& path, int pid);  // atomically, through a temporary file

  std::string path_;
  int pid_ = 0;
};

}  // namespace qilin::arbiter
