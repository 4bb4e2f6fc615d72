/*
 * The supervisor's timing rules (supervisor/timing.h), driven by a clock
 * the tests hold in plain doubles: no test here waits.  Every expected
 * value comes from the rules as the header and docs/contract.md state them: the
 * kill margin is as long again as the timeout and at least 100 ms; the
 * first restart waits the initial delay, each failure in a row doubles it
 * up to the maximum, a successful call starts it afresh; more than
 * max_restarts failures within the window (its ends included) quarantine.
 */
#include <check.h>
#include <stdint.h>

#include "../supervisor/timing.h"
#include "suites.h"

/* One failure at `now` that must not quarantine; returns its delay. */
static uint32_t
fail_ok(struct restart_tracker *t, double now)
{
	uint32_t delay = 0;

	/* Every tracker here starts at 1 ms or more: 0 means unset. */
	ck_assert_msg(!restart_tracker_failure(t, now, &delay),
	    "failure at %.3f quarantined", now);
	ck_assert_uint_ne(delay, 0);
	return delay;
}

/* One failure at `now` that must quarantine. */
static void
fail_quarantines(struct restart_tracker *t, double now)
{
	uint32_t delay = 0;

	ck_assert_msg(restart_tracker_failure(t, now, &delay),
	    "failure at %.3f did not quarantine", now);
}

START_TEST(test_kill_grace_is_a_tenth_at_least_10_ms)
{
	ck_assert_uint_eq(kill_grace_ms(0), 10);
	ck_assert_uint_eq(kill_grace_ms(1), 10);
	ck_assert_uint_eq(kill_grace_ms(50), 10);
	ck_assert_uint_eq(kill_grace_ms(100), 10);
	ck_assert_uint_eq(kill_grace_ms(109), 10);
	ck_assert_uint_eq(kill_grace_ms(120), 12);
	ck_assert_uint_eq(kill_grace_ms(1000), 100);
	ck_assert_uint_eq(kill_grace_ms(5000), 500);
	ck_assert_uint_eq(kill_grace_ms(UINT32_MAX), UINT32_MAX / 10);
}
END_TEST

START_TEST(test_deadline_left_before_at_and_after_the_deadline)
{
	/* 500 ms limit + 50 ms grace: the kill is due 0.55 s after the
	 * clock started. */
	ck_assert_double_eq_tol(deadline_left(100.0, 500, 100.0), 0.55, 1e-9);
	ck_assert_double_eq_tol(deadline_left(100.0, 500, 100.25), 0.30,
	    1e-9);
	ck_assert_double_eq_tol(deadline_left(100.0, 500, 100.55), 0.0, 1e-9);
	ck_assert(deadline_left(100.0, 500, 100.549) > 0);
	ck_assert(deadline_left(100.0, 500, 100.551) < 0);

	/* A short limit still gets the 10 ms grace: 50 + 10 ms. */
	ck_assert_double_eq_tol(deadline_left(7.0, 50, 7.0), 0.06, 1e-9);
	ck_assert(deadline_left(7.0, 50, 7.059) > 0);
	ck_assert(deadline_left(7.0, 50, 7.061) < 0);

	/* The default 100 ms timeout: killed 110 ms after the start, not
	 * twice the limit. */
	ck_assert_double_eq_tol(deadline_left(0.0, 100, 0.0), 0.11, 1e-9);
	ck_assert(deadline_left(0.0, 100, 0.109) > 0);
	ck_assert(deadline_left(0.0, 100, 0.111) < 0);

	/* The default load timeout: 1 s + 100 ms. */
	ck_assert_double_eq_tol(deadline_left(1000.0, 1000, 1000.0), 1.1,
	    1e-9);
	ck_assert(deadline_left(1000.0, 1000, 1001.2) < 0);
}
END_TEST

START_TEST(test_deadline_left_zero_is_no_limit)
{
	/* However long it has run, a call without a limit is never due:
	 * the value must dwarf any realistic clock difference. */
	ck_assert(deadline_left(0.0, 0, 0.0) > 1e12);
	ck_assert(deadline_left(0.0, 0, 1e9) > 1e12);
	ck_assert(deadline_left(1.7e9, 0, 1.7e9 + 86400.0 * 365) > 1e12);
}
END_TEST

START_TEST(test_first_delay_is_the_initial_delay)
{
	struct restart_tracker t;

	restart_tracker_init(&t, 20, 2000, 5, 10);
	ck_assert_uint_eq(fail_ok(&t, 50.0), 20);
	restart_tracker_free(&t);

	restart_tracker_init(&t, 1, 2000, 5, 10);
	ck_assert_uint_eq(fail_ok(&t, 0.0), 1);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_delay_doubles_per_failure_in_a_row_up_to_the_max)
{
	static const uint32_t expected[] = {
		20, 40, 80, 160, 320, 640, 1280, 2000, 2000, 2000, 2000,
	};
	struct restart_tracker t;

	/* A window small enough that no two failures share it: only the
	 * backoff is under test. */
	restart_tracker_init(&t, 20, 2000, 3, 1);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		ck_assert_uint_eq(fail_ok(&t, 10.0 * (double)i), expected[i]);
	restart_tracker_free(&t);

	/* A max that is no power-of-two multiple of the initial delay is
	 * reached exactly, never overshot. */
	restart_tracker_init(&t, 30, 100, 3, 1);
	ck_assert_uint_eq(fail_ok(&t, 0.0), 30);
	ck_assert_uint_eq(fail_ok(&t, 10.0), 60);
	ck_assert_uint_eq(fail_ok(&t, 20.0), 100);
	ck_assert_uint_eq(fail_ok(&t, 30.0), 100);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_delay_never_overflows)
{
	struct restart_tracker t;
	uint32_t delay = 1;

	/* Hundreds of failures in a row: the doubling must stop at the max
	 * and never wrap to a short (or zero) delay. */
	restart_tracker_init(&t, 1, UINT32_MAX, 3, 1);
	for (unsigned i = 0; i < 200; i++) {
		uint32_t next = fail_ok(&t, 10.0 * i);

		ck_assert_uint_ge(next, delay);
		delay = next;
	}
	ck_assert_uint_eq(delay, UINT32_MAX);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_success_starts_the_backoff_afresh)
{
	struct restart_tracker t;

	restart_tracker_init(&t, 20, 2000, 100, 10);
	ck_assert_uint_eq(fail_ok(&t, 0.0), 20);
	ck_assert_uint_eq(fail_ok(&t, 0.1), 40);
	ck_assert_uint_eq(fail_ok(&t, 0.2), 80);
	restart_tracker_success(&t);
	ck_assert_uint_eq(fail_ok(&t, 0.3), 20);
	ck_assert_uint_eq(fail_ok(&t, 0.4), 40);
	/* Successes without a failure between change nothing more. */
	restart_tracker_success(&t);
	restart_tracker_success(&t);
	ck_assert_uint_eq(fail_ok(&t, 0.5), 20);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_success_does_not_forgive_failures_in_the_window)
{
	struct restart_tracker t;

	/* A worker that answers once and then dies, over and over, must
	 * still be quarantined: successes reset the delay, not the count. */
	restart_tracker_init(&t, 20, 2000, 3, 10);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(fail_ok(&t, (double)i), 20);
		restart_tracker_success(&t);
	}
	fail_quarantines(&t, 3.0);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_quarantine_at_the_failure_past_max_restarts)
{
	struct restart_tracker t;

	/* max 3: three failures are restarted, the fourth within the
	 * window quarantines. */
	restart_tracker_init(&t, 20, 2000, 3, 10);
	ck_assert_uint_eq(fail_ok(&t, 100.0), 20);
	ck_assert_uint_eq(fail_ok(&t, 101.0), 40);
	ck_assert_uint_eq(fail_ok(&t, 102.0), 80);
	fail_quarantines(&t, 103.0);
	restart_tracker_free(&t);

	/* All at the same instant: the same count. */
	restart_tracker_init(&t, 20, 2000, 3, 10);
	fail_ok(&t, 5.0);
	fail_ok(&t, 5.0);
	fail_ok(&t, 5.0);
	fail_quarantines(&t, 5.0);
	restart_tracker_free(&t);

	/* The default settings: five restarts, the sixth quarantines. */
	restart_tracker_init(&t, 20, 2000, 5, 10);
	for (int i = 0; i < 5; i++)
		fail_ok(&t, 1.0 + i * 1.5);
	fail_quarantines(&t, 9.0);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_failures_spread_beyond_the_window_never_quarantine)
{
	struct restart_tracker t;

	/* max 3, window 10 s, a failure every 3.4 s: any 10 s hold at most
	 * three of them (the fourth is 10.2 s after the first). */
	restart_tracker_init(&t, 20, 2000, 3, 10);
	for (int i = 0; i < 1000; i++)
		fail_ok(&t, 3.4 * i);
	restart_tracker_free(&t);

	/* One every 3.3 s: the fourth is 9.9 s after the first. */
	restart_tracker_init(&t, 20, 2000, 3, 10);
	fail_ok(&t, 0.0);
	fail_ok(&t, 3.3);
	fail_ok(&t, 6.6);
	fail_quarantines(&t, 9.9);
	restart_tracker_free(&t);

	/* One a minute for a day. */
	restart_tracker_init(&t, 20, 2000, 1, 30);
	for (int i = 0; i < 24 * 60; i++)
		fail_ok(&t, 60.0 * i);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_old_failures_leave_the_window)
{
	struct restart_tracker t;

	restart_tracker_init(&t, 20, 2000, 3, 10);
	fail_ok(&t, 0.0);
	fail_ok(&t, 1.0);
	fail_ok(&t, 2.0);
	/* At 10.5 the one at 0 is 10.5 s old: out.  Three remain. */
	fail_ok(&t, 10.5);
	/* At 11 the one at 1 is exactly 10 s old: still in.  Four. */
	fail_quarantines(&t, 11.0);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_window_boundary_counts_as_within)
{
	struct restart_tracker t;

	/* max 1: two failures exactly window_s apart are within it. */
	restart_tracker_init(&t, 20, 2000, 1, 10);
	fail_ok(&t, 1000.5);
	fail_quarantines(&t, 1010.5);
	restart_tracker_free(&t);

	/* Just past it: not. */
	restart_tracker_init(&t, 20, 2000, 1, 10);
	fail_ok(&t, 1000.5);
	fail_ok(&t, 1010.5 + 1.0 / 1024);
	restart_tracker_free(&t);

	/* A window of 0 s: only failures at the very same instant share
	 * it. */
	restart_tracker_init(&t, 20, 2000, 1, 0);
	fail_ok(&t, 4.0);
	fail_ok(&t, 4.0 + 1.0 / 1024);
	fail_quarantines(&t, 4.0 + 1.0 / 1024);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_max_restarts_zero_quarantines_at_the_first_failure)
{
	struct restart_tracker t;

	restart_tracker_init(&t, 20, 2000, 0, 10);
	fail_quarantines(&t, 0.0);
	restart_tracker_reset(&t);
	fail_quarantines(&t, 500.0);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_reset_forgets_everything)
{
	struct restart_tracker t;

	restart_tracker_init(&t, 20, 2000, 2, 10);
	ck_assert_uint_eq(fail_ok(&t, 0.0), 20);
	ck_assert_uint_eq(fail_ok(&t, 1.0), 40);
	restart_tracker_reset(&t);
	/* Both the doubling and the failures in the window are gone: two
	 * more are restarted (from the initial delay), the third of this
	 * new series quarantines. */
	ck_assert_uint_eq(fail_ok(&t, 2.0), 20);
	ck_assert_uint_eq(fail_ok(&t, 3.0), 40);
	fail_quarantines(&t, 4.0);

	/* Released from quarantine: a fresh start again. */
	restart_tracker_reset(&t);
	ck_assert_uint_eq(fail_ok(&t, 5.0), 20);
	ck_assert_uint_eq(fail_ok(&t, 5.0), 40);
	fail_quarantines(&t, 5.0);
	restart_tracker_free(&t);
}
END_TEST

START_TEST(test_clock_starting_at_zero)
{
	struct restart_tracker t;

	/* An injected clock may well start at 0: a failure at t = 0 is a
	 * failure like any other. */
	restart_tracker_init(&t, 20, 2000, 1, 10);
	fail_ok(&t, 0.0);
	fail_quarantines(&t, 0.0);
	restart_tracker_free(&t);
}
END_TEST

Suite *
backoff_suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *deadline = tcase_create("deadlines");
	TCase *restarts = tcase_create("restarts");

	tcase_add_test(deadline,
	    test_kill_grace_is_a_tenth_at_least_10_ms);
	tcase_add_test(deadline,
	    test_deadline_left_before_at_and_after_the_deadline);
	tcase_add_test(deadline, test_deadline_left_zero_is_no_limit);
	suite_add_tcase(s, deadline);

	tcase_add_test(restarts, test_first_delay_is_the_initial_delay);
	tcase_add_test(restarts,
	    test_delay_doubles_per_failure_in_a_row_up_to_the_max);
	tcase_add_test(restarts, test_delay_never_overflows);
	tcase_add_test(restarts, test_success_starts_the_backoff_afresh);
	tcase_add_test(restarts,
	    test_success_does_not_forgive_failures_in_the_window);
	tcase_add_test(restarts,
	    test_quarantine_at_the_failure_past_max_restarts);
	tcase_add_test(restarts,
	    test_failures_spread_beyond_the_window_never_quarantine);
	tcase_add_test(restarts, test_old_failures_leave_the_window);
	tcase_add_test(restarts, test_window_boundary_counts_as_within);
	tcase_add_test(restarts,
	    test_max_restarts_zero_quarantines_at_the_first_failure);
	tcase_add_test(restarts, test_reset_forgets_everything);
	tcase_add_test(restarts, test_clock_starting_at_zero);
	suite_add_tcase(s, restarts);
	return s;
}
