/* SPDX-License-Identifier: MIT */
/*
 * pcrec.h - the OST's durable record of the object ranges the MDS had it
 * precreate (OBJ_PRECREATE), kept in the store directory as the
 * append-only file "precreated": 16-byte records {le64 first, le64
 * count}, each fdatasync'ed before the objects are created.  With it the
 * store tells an object that was created and is gone (destroyed or lost)
 * from an id it never had.  A torn last record (a crash while appending)
 * is ignored: the MDS sends the range again, as it was not confirmed.
 */
#ifndef OST_PCREC_H
#define OST_PCREC_H

#include <stdbool.h>
#include <stdint.h>

struct pcrec;

/* open (creating it, durably, if missing) the record in directory rootfd */
int pcrec_open(int rootfd, struct pcrec **out);
void pcrec_close(struct pcrec *p);
/* record [first, first + count) durably, unless it is recorded already */
int pcrec_add(struct pcrec *p, uint64_t first, uint64_t count);
/* was oid ever precreated here */
bool pcrec_has(struct pcrec *p, uint64_t oid);

#endif /* OST_PCREC_H */
