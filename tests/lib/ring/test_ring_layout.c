/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proves that docs/ring-format.md's offset tables are the layout the code
 * uses: every row of the header table and of the record-header table is
 * read from the document and compared with offsetof()/sizeof() of the
 * field it names, every field of the structures has its row, and the rows
 * tile the header page (and the 40-byte record header) without gap or
 * overlap. Also the version the producer writes is the one the document
 * names as the newest.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring_internal.h"

struct field {
	const char *name;
	size_t off, size;
	int seen;
};

#define F(type, m) {#m, offsetof(type, m), sizeof(((type *)0)->m), 0}

static struct field hdr_fields[] = {
    F(struct udpcap_ring_shm, magic),	       F(struct udpcap_ring_shm, version.major),
    F(struct udpcap_ring_shm, version.minor),  F(struct udpcap_ring_shm, hdr_size),
    F(struct udpcap_ring_shm, capacity),       F(struct udpcap_ring_shm, max_caplen),
    F(struct udpcap_ring_shm, generation),     F(struct udpcap_ring_shm, producer_pid),
    F(struct udpcap_ring_shm, linktype),       F(struct udpcap_ring_shm, pad0),
    F(struct udpcap_ring_shm, create_time_ns), F(struct udpcap_ring_shm, producer_start),
    F(struct udpcap_ring_shm, producer_pidns), F(struct udpcap_ring_shm, reserved0),
    F(struct udpcap_ring_shm, written_packets), F(struct udpcap_ring_shm, written_bytes),
    F(struct udpcap_ring_shm, full_packets),   F(struct udpcap_ring_shm, full_bytes),
    F(struct udpcap_ring_shm, upstream_drops), F(struct udpcap_ring_shm, resets),
    F(struct udpcap_ring_shm, reset_packets),  F(struct udpcap_ring_shm, closed),
    F(struct udpcap_ring_shm, pad1),	       F(struct udpcap_ring_shm, reserved1),
    F(struct udpcap_ring_shm, prod),	       F(struct udpcap_ring_shm, reserved2),
    F(struct udpcap_ring_shm, cons),	       F(struct udpcap_ring_shm, reserved3),
    F(struct udpcap_ring_shm, sleeping),       F(struct udpcap_ring_shm, consumer_pid),
    F(struct udpcap_ring_shm, reserved4),
};

static struct field rec_fields[] = {
    F(struct udpcap_ring_rec, len),	      F(struct udpcap_ring_rec, type),
    F(struct udpcap_ring_rec, rsv),	      F(struct udpcap_ring_rec, meta.ts_ns),
    F(struct udpcap_ring_rec, meta.caplen),   F(struct udpcap_ring_rec, meta.origlen),
    F(struct udpcap_ring_rec, meta.linktype), F(struct udpcap_ring_rec, meta.flags),
    F(struct udpcap_ring_rec, meta.vxlan_vni), F(struct udpcap_ring_rec, meta.geneve_vni),
    F(struct udpcap_ring_rec, meta.reserved),
};

static int failures;

#define FAIL(...)                                                                         \
	do {                                                                              \
		fprintf(stderr, "ring-format.md: " __VA_ARGS__);                          \
		fprintf(stderr, "\n");                                                    \
		failures++;                                                               \
	} while (0)

/* Split a table row into its cells (trimmed, in place). Returns the count. */
static int cells(char *line, char **out, int max)
{
	int n = 0;
	char *p = line, *bar;

	if (*p != '|')
		return 0;
	p++;
	while (n < max && (bar = strchr(p, '|'))) {
		char *e = bar;

		*bar = '\0';
		while (*p == ' ')
			p++;
		while (e > p && e[-1] == ' ')
			*--e = '\0';
		out[n++] = p;
		p = bar + 1;
	}
	return n;
}

/*
 * Check the table that starts after the line equal to @head in @doc:
 * rows "| offset | size | `field` | ...", tiling [0, @total).
 */
static void check_table(const char *doc, const char *head, struct field *fields, size_t nfields,
			size_t total, const char *what)
{
	const char *t = strstr(doc, head);
	size_t expect_off = 0, rows = 0;
	char line[512];

	if (!t) {
		FAIL("%s: no table headed \"%s\"", what, head);
		return;
	}
	t = strchr(t, '\n');
	t = t ? strchr(t + 1, '\n') : NULL; /* skip the |---| line */
	while (t && t[1] == '|') {
		const char *end = strchr(t + 1, '\n');
		size_t len = end ? (size_t)(end - t - 1) : strlen(t + 1);
		char *c[8];
		char *name;
		size_t off, size, i;
		int n;

		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, t + 1, len);
		line[len] = '\0';
		t = end;
		n = cells(line, c, 8);
		if (n < 3) {
			FAIL("%s: malformed row", what);
			continue;
		}
		off = strtoull(c[0], NULL, 10);
		size = strtoull(c[1], NULL, 10);
		rows++;
		if (off != expect_off)
			FAIL("%s: row at offset %zu, expected %zu (gap or overlap)", what, off,
			     expect_off);
		expect_off = off + size;
		name = c[2];
		if (name[0] != '`') {
			/* The tail of the header page: reserved, no field. */
			if (off < sizeof(struct udpcap_ring_shm))
				FAIL("%s: row at %zu names no field", what, off);
			continue;
		}
		name++;
		if (strchr(name, '`'))
			*strchr(name, '`') = '\0';
		for (i = 0; i < nfields; i++)
			if (!strcmp(fields[i].name, name))
				break;
		if (i == nfields) {
			FAIL("%s: field %s (offset %zu) is not in the structure", what, name, off);
			continue;
		}
		fields[i].seen++;
		if (fields[i].off != off || fields[i].size != size)
			FAIL("%s: %s is at %zu, %zu bytes in the document but at %zu, %zu bytes "
			     "in the code",
			     what, name, off, size, fields[i].off, fields[i].size);
	}
	if (expect_off != total)
		FAIL("%s: rows end at %zu, expected %zu", what, expect_off, total);
	for (size_t i = 0; i < nfields; i++)
		if (fields[i].seen != 1)
			FAIL("%s: field %s has %d rows", what, fields[i].name, fields[i].seen);
	printf("%s: %zu rows checked\n", what, rows);
}

int main(void)
{
	const char *root = getenv("UDPCAP_SOURCE_ROOT");
	char path[4096], *doc, want[64];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/docs/ring-format.md", root ? root : ".");
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	if (!doc || fread(doc, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: read failed\n", path);
		return 1;
	}
	fclose(f);

	check_table(doc, "| offset | size | field | since | written by | meaning |", hdr_fields,
		    sizeof(hdr_fields) / sizeof(hdr_fields[0]), UDPCAP_RING_HDR_SIZE, "header");
	check_table(doc, "| offset | size | field | since | meaning |", rec_fields,
		    sizeof(rec_fields) / sizeof(rec_fields[0]), UDPCAP_REC_HDR, "record header");

	snprintf(want, sizeof(want), "# udpcap ring format, version %u\n",
		 UDPCAP_RING_VERSION_MAJOR);
	if (strncmp(doc, want, strlen(want)))
		FAIL("title does not name major version %u", UDPCAP_RING_VERSION_MAJOR);
	snprintf(want, sizeof(want), "\n| %u.%u | ", UDPCAP_RING_VERSION_MAJOR,
		 UDPCAP_RING_VERSION_MINOR);
	if (!strstr(doc, want))
		FAIL("the version table has no row for %u.%u, the version the producer writes",
		     UDPCAP_RING_VERSION_MAJOR, UDPCAP_RING_VERSION_MINOR);
	free(doc);
	if (failures)
		fprintf(stderr, "%d mismatches between %s and lib/ring_internal.h\n", failures,
			path);
	return failures ? 1 : 0;
}
