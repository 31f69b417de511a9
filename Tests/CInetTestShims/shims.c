#define _GNU_SOURCE
#include "CInetTestShims.h"
#include <fcntl.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <unistd.h>

int cinet_test_setfsuid(unsigned int uid) { return setfsuid(uid); }

int cinet_test_enter_netns(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = setns(fd, CLONE_NEWNET);
    close(fd);
    return rc;
}
