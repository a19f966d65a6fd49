/* SPDX-License-Identifier: MIT */
/* tessctl_stats.c: `tessctl stats` (the client's /sys/fs/tessera/) */
#ifndef TESSCTL_STATS_H
#define TESSCTL_STATS_H

int tessctl_stats(int argc, char **argv);

#endif
