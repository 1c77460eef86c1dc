/* A firmware-style program: runs a Yan model linked in as a static library
 * (yanc --emit=static-lib), with no runtime, no loader, no file system and
 * no heap; everything is static. It feeds a prompt, decodes greedily and
 * prints the tokens (and, optionally, every row of logits to a file so a
 * test can compare them with the PyTorch reference).
 *
 *   yanc MODEL --emit=static-lib --target aarch64-linux-gnu -o libmodel.a
 *   aarch64-linux-gnu-gcc -static -O2 -I. main.c libmodel.a -o firmware
 *   qemu-aarch64 ./firmware 1,2,3 8 [logits.f32]
 *
 * libmodel.h (written next to the archive) defines YAN_MODEL_* and declares
 * yan_model_query / yan_model_weights (yanc --symbol-prefix renames them, so
 * one program can link several models). */
#include "libmodel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROMPT 256
#define MAX_STEPS 256

/* All memory the model needs, sized by the header: no allocation. */
static float state[YAN_MODEL_STATE_FLOATS];
static uint8_t arena[YAN_MODEL_ARENA_BYTES] __attribute__((aligned(64)));
static uint64_t stats[YAN_MODEL_STATS_COUNTERS];
static float logits[YAN_MODEL_PREFILL_MAX_TOKENS * YAN_MODEL_VOCAB_SIZE];

static int run(yan_entry_fn_v3 entry, const int32_t *tokens, int64_t count) {
  yan_entry_args_v3 args;
  memset(&args, 0, sizeof args); /* learn, optimizer_state: NULL (inference only) */
  args.weights = yan_model_weights;
  args.state = state;
  args.arena = arena;
  args.tokens = tokens;
  args.num_tokens = count;
  args.logits = logits;
  args.stats = stats;
  args.thread_index = 0;
  args.thread_count = 1; /* barrier and pool unused */
  /* args.verified stays NULL: linked-in weights need no lazy verification
   * (executable_abi.h), so verify is never called. */
  return entry(&args);
}

/* Argmax, ties to the lowest id (what yan-run and the reference do). */
static int32_t greedy(const float *row) {
  int32_t best = 0;
  for (int32_t v = 1; v < YAN_MODEL_VOCAB_SIZE; ++v)
    if (row[v] > row[best])
      best = v;
  return best;
}

static int parse_prompt(const char *text, int32_t *out, int *count) {
  *count = 0;
  while (*text) {
    char *end;
    long value = strtol(text, &end, 10);
    if (end == text || value < 0 || value >= YAN_MODEL_VOCAB_SIZE || *count == MAX_PROMPT)
      return 0;
    out[(*count)++] = (int32_t)value;
    text = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return 0;
  }
  return *count > 0;
}

int main(int argc, char **argv) {
  int32_t prompt[MAX_PROMPT];
  int prompt_length = 0;
  int steps = argc > 2 ? atoi(argv[2]) : 8;
  if (argc < 2 || !parse_prompt(argv[1], prompt, &prompt_length) || steps < 0 ||
      steps > MAX_STEPS) {
    fprintf(stderr, "usage: %s TOKEN,TOKEN,... [STEPS <= %d] [LOGITS_FILE]\n"
                    "  tokens in [0, %d), at most %d of them\n",
            argv[0], MAX_STEPS, YAN_MODEL_VOCAB_SIZE, MAX_PROMPT);
    return 2;
  }
  FILE *dump = argc > 3 ? fopen(argv[3], "wb") : NULL;
  if (argc > 3 && !dump) {
    perror(argv[3]);
    return 1;
  }
  const yan_executable_v4 *model = yan_model_query(YAN_EXECUTABLE_ABI_VERSION);
  if (!model || model->entry_count != YAN_ENTRY_COUNT) {
    fprintf(stderr, "model library does not implement ABI version %u\n",
            YAN_EXECUTABLE_ABI_VERSION);
    return 1;
  }
  /* Prefill in chunks of at most PREFILL_MAX_TOKENS; the last row of the
   * last chunk gives the first generated token. */
  int32_t next = 0;
  for (int start = 0; start < prompt_length; start += YAN_MODEL_PREFILL_MAX_TOKENS) {
    int count = prompt_length - start;
    if (count > YAN_MODEL_PREFILL_MAX_TOKENS)
      count = YAN_MODEL_PREFILL_MAX_TOKENS;
    if (run(model->entries[YAN_ENTRY_PREFILL], prompt + start, count) != 0) {
      fprintf(stderr, "prefill failed\n");
      return 1;
    }
    if (dump)
      fwrite(logits, sizeof(float), (size_t)count * YAN_MODEL_VOCAB_SIZE, dump);
    next = greedy(logits + (size_t)(count - 1) * YAN_MODEL_VOCAB_SIZE);
  }
  printf("generated:");
  for (int step = 0; step < steps; ++step) {
    printf(" %d", next);
    if (run(model->entries[YAN_ENTRY_DECODE], &next, 1) != 0) {
      fprintf(stderr, "decode failed\n");
      return 1;
    }
    if (dump)
      fwrite(logits, sizeof(float), YAN_MODEL_VOCAB_SIZE, dump);
    next = greedy(logits);
  }
  printf("\n");
  if (dump && fclose(dump) != 0) {
    perror(argv[3]);
    return 1;
  }
  return 0;
}
