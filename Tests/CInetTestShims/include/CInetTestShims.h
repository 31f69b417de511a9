// CInetTestShims: per-thread identity changes the tests need and Glibc does not export to
// Swift. Test-only (never linked into the library). Both act on the calling thread alone.
#ifndef C_INET_TEST_SHIMS_H
#define C_INET_TEST_SHIMS_H

// The calling thread's file-system uid (setfsuid(2)); returns the previous one. Tests run as
// root: taking uid `nobody` here drops the DAC override, so permission checks apply.
int cinet_test_setfsuid(unsigned int uid);

// Moves the calling thread into the network namespace at `path` (/var/run/netns/NAME): sockets
// it makes from then on live there. Returns 0, or -1 with errno set.
int cinet_test_enter_netns(const char *path);

#endif
