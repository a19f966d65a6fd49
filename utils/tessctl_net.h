/* SPDX-License-Identifier: MIT */
/* tessctl_net.c: `tessctl net show` and `tessctl peer show` (netlink) */
#ifndef TESSCTL_NET_H
#define TESSCTL_NET_H

int tessctl_net(int argc, char **argv);
int tessctl_peer(int argc, char **argv);

#endif
