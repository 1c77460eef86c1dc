/* A program using the installed Yan runtime (yan::runtime, or pkg-config's
 * yan-runtime): opens a bundle, checks that prefilling the prompt gives the
 * logits that feeding it one token at a time gives, then decodes greedily
 * and prints the tokens in yan-run's format ("generated: ..."), so a test
 * can compare the two.
 *
 *   consumer BUNDLE TOKEN,TOKEN,... [STEPS]
 *
 * Exit status: 0 ok, 1 a runtime error or a failed check, 2 usage. */
#include <yan/runtime.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROMPT 64

static int failed(const char *what, yan_status_t status) {
  fprintf(stderr, "consumer: error: %s: %s [%s]\n", what, yan_status_message(status),
          yan_status_code_name(yan_status_code(status)));
  yan_status_free(status);
  return 1;
}

static int parse_tokens(const char *text, int32_t *out, size_t *count) {
  *count = 0;
  while (*text) {
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || value < 0 || *count == MAX_PROMPT || (*end && *end != ','))
      return 0;
    out[(*count)++] = (int32_t)value;
    text = *end ? end + 1 : end;
  }
  return *count > 0;
}

/* Argmax, ties to the lowest id (what yan-run does). */
static int32_t greedy(const float *row, int64_t vocab) {
  int32_t best = 0;
  for (int32_t v = 1; v < vocab; ++v)
    if (row[v] > row[best])
      best = v;
  return best;
}

/* Largest |a - b| relative to max(max |b|, 1e-3): the runtime's grouped
 * prefill and its decode step are different code, equal up to rounding. */
static double relative_difference(const float *a, const float *b, int64_t n) {
  double diff = 0.0, scale = 1e-3;
  for (int64_t i = 0; i < n; ++i) {
    if (!isfinite(a[i]) || !isfinite(b[i]))
      return INFINITY;
    diff = fmax(diff, fabs((double)a[i] - b[i]));
    scale = fmax(scale, fabs((double)b[i]));
  }
  return diff / scale;
}

int main(int argc, char **argv) {
  int32_t prompt[MAX_PROMPT];
  size_t prompt_length = 0;
  int steps = argc > 3 ? atoi(argv[3]) : 8;
  if (argc < 3 || argc > 4 || !parse_tokens(argv[2], prompt, &prompt_length) || steps < 0) {
    fprintf(stderr, "usage: %s BUNDLE TOKEN,TOKEN,... [STEPS]\n", argv[0]);
    return 2;
  }
  yan_bundle_t *bundle = NULL;
  yan_status_t status = yan_bundle_open_file(argv[1], NULL, yan_allocator_system(), &bundle);
  if (status)
    return failed(argv[1], status);
  yan_model_config_t config;
  yan_bundle_config(bundle, &config);
  int64_t vocab = config.vocab_size;

  float *prefilled = malloc(sizeof(float) * prompt_length * (size_t)vocab);
  float *stepped = malloc(sizeof(float) * (size_t)vocab);
  yan_session_t *whole = NULL, *steps_session = NULL;
  int rc = 1;
  if (!prefilled || !stepped) {
    fprintf(stderr, "consumer: error: out of memory\n");
    goto done;
  }
  if ((status = yan_session_create(bundle, NULL, &whole)) ||
      (status = yan_session_create(bundle, NULL, &steps_session))) {
    rc = failed("session", status);
    goto done;
  }
  if ((status = yan_session_prefill(whole, prompt, prompt_length, prefilled))) {
    rc = failed("prefill", status);
    goto done;
  }
  /* The check: every prefill row equals the decode of the same prefix. */
  for (size_t t = 0; t < prompt_length; ++t) {
    if ((status = yan_session_decode(steps_session, prompt[t], stepped))) {
      rc = failed("decode", status);
      goto done;
    }
    double difference = relative_difference(prefilled + t * (size_t)vocab, stepped, vocab);
    if (!(difference <= 1e-4)) {
      fprintf(stderr, "consumer: error: prefill and decode differ at position %zu (%g)\n", t,
              difference);
      goto done;
    }
  }
  printf("prefill == decode over %zu tokens (V=%lld, %lld layers)\n", prompt_length,
         (long long)vocab, (long long)config.num_layers);

  int32_t next = greedy(prefilled + (prompt_length - 1) * (size_t)vocab, vocab);
  printf("generated:");
  for (int step = 0; step < steps; ++step) {
    printf(" %d", next);
    if ((status = yan_session_decode(whole, next, stepped))) {
      printf("\n");
      rc = failed("decode", status);
      goto done;
    }
    next = greedy(stepped, vocab);
  }
  printf("\n");
  rc = 0;
done:
  yan_session_destroy(steps_session);
  yan_session_destroy(whole);
  free(stepped);
  free(prefilled);
  yan_bundle_release(bundle);
  return rc;
}
