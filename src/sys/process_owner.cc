#include "sys/process_owner.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace qilin::sys {

namespace {
std::string error_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }
}  // namespace

Status set_owner_process(uid_t uid, gid_t gid, bool initgroups) {
  if (gid != 0 && gid != getgid()) {
    std::string user;
    if (initgroups && uid != 0) {
      std::vector<char> buf(16384);
      passwd pw;
      passwd* found = nullptr;
      if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) user = pw.pw_name;
    }
    if (!user.empty()) {
      if (::initgroups(user.c_str(), gid) != 0) return Status::error(error_text("initgroups"));
    } else if (geteuid() == 0 && ::setgroups(1, &gid) != 0) {
      // Without initgroups the worker keeps only its group, not root's.
      return Status::error(error_text("setgroups"));
    }
    if (::setgid(gid) != 0) return Status::error(error_text("setgid"));
  } else if (gid != 0 && initgroups && uid != 0) {
    std::vector<char> buf(16384);
    passwd pw;
    passwd* found = nullptr;
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found &&
        ::initgroups(pw.pw_name, gid) != 0) {
      return Status::error(error_text("initgroups"));
    }
  }
  if (uid != 0 && uid != getuid() && ::setuid(uid) != 0) return Status::error(error_text("setuid"));
  return Status::ok();
}

}  // namespace qilin::sys
