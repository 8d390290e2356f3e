// Switching a worker process to the configured user and group, as gunicorn's
// set_owner_process does (after post_fork, before the app loads): the
// group first (with the user's supplementary groups when `initgroups`,
// otherwise just that group), then the user. A gid or uid of 0, or one equal
// to the current id, is left alone. The master keeps its ids.
#pragma once

#include <sys/types.h>

#include "core/result.h"

namespace qilin::sys {

Status set_owner_process(uid_t uid, gid_t gid, bool initgroups);

}  // namespace qilin::sys
