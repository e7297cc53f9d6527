#define _GNU_SOURCE
#include "CPetrel.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

// libdispatch's interface for a run loop that drains the main queue on the main thread (the one
// swift-corelibs-foundation's RunLoop uses). Declared weak: a binary without libdispatch links,
// and the functions below report that it is missing instead of crashing.
extern int _dispatch_get_main_queue_handle_4CF(void) __attribute__((weak));
extern void _dispatch_main_queue_callback_4CF(void *ignored) __attribute__((weak));

int petrel_main_queue_handle(void) {
    if (!_dispatch_get_main_queue_handle_4CF) return -1;
    return _dispatch_get_main_queue_handle_4CF();
}

void petrel_main_queue_drain(void) {
    if (_dispatch_main_queue_callback_4CF) _dispatch_main_queue_callback_4CF(NULL);
}

void petrel_eventfd_clear(int fd) {
    eventfd_t value;
    while (eventfd_read(fd, &value) != 0 && errno == EINTR) {}
}

int petrel_is_main_thread(void) {
    return syscall(SYS_gettid) == getpid();
}
