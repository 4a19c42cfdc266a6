/* SPDX-License-Identifier: MIT */
/** @file time_scale.h Wall-clock bounds of the tests are for a plain -O2 build; under
 *  AddressSanitizer the code runs 3-4x slower, so they stretch by TIME_SCALE (4 there, else 1). */

#ifndef GP_TESTS_TIME_SCALE_H
#define GP_TESTS_TIME_SCALE_H

#if defined(__SANITIZE_ADDRESS__)
#define TIME_SCALE 4.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TIME_SCALE 4.0
#endif
#endif
#ifndef TIME_SCALE
#define TIME_SCALE 1.0
#endif

#endif /* GP_TESTS_TIME_SCALE_H */
