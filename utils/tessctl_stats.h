/* SPDX-License-Identifier: MIT */
/* tessctl_stats.c: `tessctl stats` (the client's /sys/fs/tessera/) */
#ifndef TESSCTL_STATS_H
#define TESSCTL_STATS_H

int tessctl_stats(int argc, char **argv);
/* tessctl_srvstats.c: `tessctl stats --servers` (a STATS request to the
 * MDS and each OST); mds, key: --mds and --key, or NULL */
int tessctl_srvstats(const char *mds, const char *key, int argc, char **argv);

#endif
