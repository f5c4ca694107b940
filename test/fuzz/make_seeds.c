/*
 * make_seeds.c - writes the fuzzers' seed corpus: small valid states of
 * every kind, made by the core's own add and serialize functions, and a few
 * row streams for the `genuine` target.
 *
 * Build it with test/unit/alloc_malloc.c and the core's sources (-Isrc/core)
 * and run it with the corpus folder: make_seeds test/fuzz/corpus
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "average.h"
#include "expected.h"
#include "baseline.h"
#include "calibration.h"
#include "categorical.h"
#include "confusion.h"
#include "drift_test.h"
#include "twosample.h"

#include "../unit/alloc_malloc.h"

static const char *dir;

static void
put(const char *target, const char *name, const unsigned char *buf, size_t len)
{
	char		path[512];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

static void
put_baseline(const char *target, const char *name, const EaBaseline *b)
{
	size_t		len = ea_baseline_serialized_size(b);
	unsigned char *buf = malloc(len);

	ea_baseline_serialize(b, buf);
	put(target, name, buf, len);
	free(buf);
}

static void
twosample_seeds(void)
{
	EaTwoSample s;
	unsigned char *buf;
	size_t		len;

	for (int evidently = 0; evidently < 2; evidently++)
	{
		ea_twosample_init(&s, evidently ? EA_BINNING_EVIDENTLY : EA_BINNING_QUANTILE, 4, ea_malloc_memory);
		for (int i = 0; i < 12; i++)
			ea_twosample_add(&s, (double) (i % 5) - 1.5, i % 3 == 0);
		ea_twosample_add(&s, NAN, 0);
		ea_twosample_add(&s, INFINITY, 1);
		ea_twosample_sort_reference(&s);
		len = ea_twosample_serialized_size(&s);
		buf = malloc(len);
		ea_twosample_serialize(&s, buf);
		put("twosample", evidently ? "evidently" : "quantile", buf, len);
		free(buf);
		ea_twosample_free(&s);
	}
	/* drift_test's state: forced KS, finite values only */
	ea_twosample_init(&s, EA_BINNING_EVIDENTLY, 0, ea_malloc_memory);
	s.test = EA_DRIFT_KS;
	for (int i = 0; i < 12; i++)
		ea_twosample_add(&s, (double) (i % 7) * 0.5, i % 3 == 0);
	ea_twosample_sort_reference(&s);
	len = ea_twosample_serialized_size(&s);
	buf = malloc(len);
	ea_twosample_serialize(&s, buf);
	put("twosample", "drift_test", buf, len);
	free(buf);
	ea_twosample_free(&s);
}

static void
categorical_seeds(void)
{
	EaCategorical c;
	unsigned char *buf;
	size_t		len;

	ea_categorical_init(&c, EA_BINNING_QUANTILE, ea_malloc_memory);
	ea_categorical_add(&c, "a", 1, 1, 100);
	ea_categorical_add(&c, "a", 1, 0, 100);
	ea_categorical_add(&c, "bb", 2, 0, 100);
	ea_categorical_add(&c, "", 0, 1, 100);
	len = ea_categorical_serialized_size(&c);
	buf = malloc(len);
	ea_categorical_serialize(&c, buf);
	put("categorical", "three", buf, len);
	free(buf);
	ea_categorical_free(&c);

	/* drift_test's state over text: forced z-test */
	ea_categorical_init(&c, EA_BINNING_EVIDENTLY, ea_malloc_memory);
	c.test = EA_DRIFT_Z;
	ea_categorical_add(&c, "yes", 3, 1, 100);
	ea_categorical_add(&c, "no", 2, 1, 100);
	ea_categorical_add(&c, "no", 2, 0, 100);
	len = ea_categorical_serialized_size(&c);
	buf = malloc(len);
	ea_categorical_serialize(&c, buf);
	put("categorical", "drift_test", buf, len);
	free(buf);
	ea_categorical_free(&c);
}

static void
calibration_seeds(void)
{
	EaCalibration *c = malloc(ea_calibration_size(4));
	EaGroupCalibration g;
	unsigned char *buf;
	size_t		len;

	ea_calibration_init(c, 4);
	ea_group_calibration_init(&g, 4, ea_malloc_memory);
	for (int i = 0; i <= 8; i++)
	{
		ea_calibration_add(c, i % 2, i / 8.0);
		ea_group_calibration_add(&g, i % 3 ? "x" : "", i % 3 ? 1 : 0, i % 2, i / 8.0, 100);
	}
	len = ea_calibration_serialized_size(c);
	buf = malloc(len);
	ea_calibration_serialize(c, buf);
	put("calibration", "four_bins", buf, len);
	free(buf);
	len = ea_group_calibration_serialized_size(&g);
	buf = malloc(len);
	ea_group_calibration_serialize(&g, buf);
	put("group_calibration", "two_groups", buf, len);
	free(buf);
	ea_group_calibration_free(&g);
	free(c);
}

static void
confusion_seeds(void)
{
	EaConfusion c;
	unsigned char *buf;
	size_t		len;

	ea_confusion_init(&c, 2, ea_malloc_memory);
	for (int i = 0; i < 10; i++)
		ea_confusion_add(&c, i % 2 ? "f" : "m", 1, i % 3 == 0, i % 4 == 0, 1, 100);
	ea_confusion_add(&c, "", 0, 1, 1, 1, 100);
	len = ea_confusion_serialized_size(&c);
	buf = malloc(len);
	ea_confusion_serialize(&c, buf);
	put("confusion", "three_groups", buf, len);
	free(buf);
	ea_confusion_free(&c);
}

static void
expected_seeds(void)
{
	EaExpected	e;
	unsigned char buf[EA_EXPECTED_SERIALIZED_SIZE];

	ea_expected_init(&e, 0.5);
	ea_expected_serialize(&e, buf);
	put("expected", "empty", buf, sizeof(buf));
	for (int i = 0; i <= 10; i++)
		ea_expected_add(&e, i / 10.0);
	ea_expected_serialize(&e, buf);
	put("expected", "eleven", buf, sizeof(buf));
	ea_expected_init(&e, 0.0);
	ea_expected_add(&e, 0.0);
	ea_expected_add(&e, 1.0);
	ea_expected_serialize(&e, buf);
	put("expected", "cutoff_zero", buf, sizeof(buf));
}

static void
average_seeds(void)
{
	EaAverage	a;
	unsigned char buf[EA_AVERAGE_SERIALIZED_SIZE];

	memset(&a, 0, sizeof(a));
	ea_average_serialize(&a, buf);
	put("average", "empty", buf, sizeof(buf));
	for (int i = 0; i < 5; i++)
		ea_average_add(&a, ea_log_loss_term(i % 2, 0.1 + i / 10.0));
	ea_average_serialize(&a, buf);
	put("average", "five", buf, sizeof(buf));
}

static void
baseline_seeds(void)
{
	static const double edges[] = {-1.0, 0.5, 2.0};
	EaBaseline	num,
				cat,
				cmp;
	EaBaselineBuild build;
	unsigned char *buf;
	size_t		len;

	ea_baseline_init_numeric(&num, edges, 3, ea_malloc_memory);
	ea_baseline_init_categorical(&cat, ea_malloc_memory);
	for (int i = 0; i < 9; i++)
	{
		ea_baseline_add_double(&num, (double) i / 2.0 - 1.5, 1);
		ea_baseline_add_text(&cat, i % 2 ? "yes" : "no", i % 2 ? 3 : 2, 1, 100);
	}
	ea_baseline_add_double(&num, NAN, 1);
	ea_baseline_add_null(&num, 1);
	ea_baseline_add_text(&cat, "", 0, 1, 100);
	put_baseline("baseline", "numeric", &num);
	put_baseline("baseline", "categorical", &cat);
	ea_baseline_init_like(&cmp, &num, ea_malloc_memory);
	ea_baseline_attach(&cmp, &num);
	ea_baseline_add_double(&cmp, 0.0, 1);
	ea_baseline_add_double(&cmp, 3.0, 1);
	put_baseline("baseline", "with_reference", &cmp);
	ea_baseline_free(&cmp);
	ea_baseline_free(&num);
	ea_baseline_free(&cat);

	ea_baseline_build_init(&build, 4, ea_malloc_memory);
	for (int i = 0; i < 10; i++)
		ea_baseline_build_add(&build, (double) (i * i % 7));
	ea_baseline_build_add(&build, NAN);
	ea_baseline_build_sort(&build);
	len = ea_baseline_build_serialized_size(&build);
	buf = malloc(len);
	ea_baseline_build_serialize(&build, buf);
	put("baseline_build", "ten", buf, len);
	free(buf);
	ea_baseline_build_free(&build);
}

/* row streams: a kind byte, then operations (see fuzz_genuine) */
static void
genuine_seeds(void)
{
	static const unsigned char numeric[] = {0, 3, 2, 9, 12, 1, 5, 0, 9, 4, 13, 3, 0, 41, 2, 3, 3};
	static const unsigned char categorical[] = {1, 0, 1, 0, 2, 4, 1, 1, 0, 0, 3, 2, 3};
	static const unsigned char calibration[] = {2, 9, 0, 7, 1, 0, 0x80, 17, 1, 1, 3, 0, 33, 0};
	static const unsigned char confusion[] = {3, 1, 0, 1, 0, 4, 1, 1, 8, 0, 3, 12, 2, 1, 2};
	static const unsigned char twosample[] = {4, 0x85, 1, 3, 0, 5, 1, 7, 0, 9, 1, 3, 0, 11};
	/* case 5, cutoff 0.5, then small integers 0, 1, 0, 1 as probabilities */
	static const unsigned char expected[] = {5, 5, 65, 67, 65, 67};

	put("genuine", "numeric", numeric, sizeof(numeric));
	put("genuine", "categorical", categorical, sizeof(categorical));
	put("genuine", "calibration", calibration, sizeof(calibration));
	put("genuine", "confusion", confusion, sizeof(confusion));
	put("genuine", "twosample", twosample, sizeof(twosample));
	put("genuine", "expected", expected, sizeof(expected));
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s corpus-folder\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);
	twosample_seeds();
	categorical_seeds();
	calibration_seeds();
	confusion_seeds();
	average_seeds();
	expected_seeds();
	baseline_seeds();
	genuine_seeds();
	return 0;
}
