/* Links the static model built by yan_add_static_model with SYMBOL_PREFIX
 * fw_model: the header's macros and the query carry the prefix. */
#include "fw_model.h"

#include <stdio.h>

int main(void) {
  const void *table = fw_model_query(YAN_EXECUTABLE_ABI_VERSION);
  printf("fw_model: vocab %d, weights %llu bytes, query %s\n", (int)FW_MODEL_VOCAB_SIZE,
         (unsigned long long)fw_model_weights_size, table ? "ok" : "refused");
  return table ? 0 : 1;
}
