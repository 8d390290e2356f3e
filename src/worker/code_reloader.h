// --reload: watches the source files a worker has loaded, and the
// reload_extra_files, and says when one of them changed; the worker loop then
// logs "Worker reloading: <file> modified" and exits so the master forks a
// fresh worker that imports the new code (gunicorn's reloader, without its
// thread: everything here runs on the worker's loop thread).
//
// Engines:
//   inotify  one inotify fd, which the loop adds to its epoll set; the
//            directories of the watched files are watched, and an event
//            (modify, close after write, attributes, create, delete, moved
//            in) for a watched name is a change.
//   poll     the modification time of every watched file is compared with
//            the one last seen, once a second.
//   auto     inotify, or poll when inotify cannot be had.
// The set of files is taken again on every tick (once a second): modules
// imported later are watched from then on, and glob patterns among the
// extra files are expanded again. A file first seen then is a baseline, not
// a change.
//
// Not thread-safe: owned and called by the loop thread only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "sys/fd.h"

namespace qilin::worker {

class CodeReloader {
 public:
  // The source files of the modules loaded now (absolute or relative to
  // the cwd); the Python layer provides it. Called on every tick.
  using FileLister = std::function<std::vector<std::string>()>;

  // `engine` is "auto", "poll" or "inotify"; `extra` are the
  // reload_extra_files entries (files, or patterns with * ? [). Fails only
  // when inotify was asked for by name and cannot be had.
  static Result<std::unique_ptr<CodeReloader>> create(const std::string& engine,
                                                      std::vector<std::string> extra,
                                                      FileLister list_modules);

  CodeReloader(const CodeReloader&) = delete;
  CodeReloader& operator=(const CodeReloader&) = delete;

  // Watches `path` too (a file that failed to import, so it is in no module).
  void add_file(const std::string& path);

  const char* engine_name() const { return inotify_.valid() ? "inotify" : "poll"; }
  // The inotify fd for the loop's epoll set (readable on events), or -1.
  int fd() const { return inotify_.valid() ? inotify_.get() : -1; }
  // When fd() is readable: the first watched file that changed, if any.
  std::optional<std::string> on_readable();
  // Once a second: refreshes the set of files and, when polling, compares
  // modification times. The first watched file that changed, if any.
  std::optional<std::string> on_tick();

 private:
  CodeReloader(std::vector<std::string> extra, FileLister list_modules)
      : extra_(std::move(extra)), list_modules_(std::move(list_modules)) {}
  // Takes the set of files again; with inotify, watches new directories.
  void refresh();
  void watch_file(const std::string& path);
  std::optional<std::string> poll();

  std::vector<std::string> extra_;
  FileLister list_modules_;
  sys::Fd inotify_;
  std::map<int, std::string> dirs_;  // inotify watch descriptor -> directory
  std::set<std::string> watched_dirs_;
  std::set<std::string> files_;            // absolute paths watched; never shrinks
  std::map<std::string, int64_t> mtimes_;  // poll: path -> mtime (ns), -1 until first seen
};

// The absolute, lexically normal form of `path` (no symlinks resolved),
// with a compiled module's name mapped to its source (.pyc -> .py).
std::string source_path(const std::string& path);

}  // namespace qilin::worker
