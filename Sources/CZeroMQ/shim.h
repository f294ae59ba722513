#include <zmq.h>
#include <sys/eventfd.h>
#include <poll.h>
