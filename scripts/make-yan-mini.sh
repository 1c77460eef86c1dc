#!/usr/bin/env bash
# Remakes models/yan-mini from scratch (models/yan-mini/MODEL_CARD.md):
# the corpus from Debian's fortunes package, the SentencePiece tokenizer, the
# training run (about 30-60 minutes on 2 cores), the loss-curve figure.
# Deterministic: the same packages give the same tokenizer and, on the same
# CPU kind and BLAS, the same weights.
#
#   scripts/make-yan-mini.sh [WORK_DIR]     (default build/yan-mini-work)
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(fortunes python3-sentencepiece libopenblas0-pthread python3-matplotlib python3-torch)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
work=${1:-build/yan-mini-work}
out=models/yan-mini
mkdir -p "$work" "$out"
py=/usr/bin/python3
echo "== corpus (fortunes) -> $work"
$py test/reference/text_corpus.py "$work"
echo "== tokenizer"
$py test/reference/train_tokenizer.py "$work/sentences.txt" "$work/tokenizer.model"
echo "== training (one process, one BLAS thread: two threads were 3x slower here)"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
  $py test/reference/train.py "$work" "$work/tokenizer.model" "$work/model" --steps 1600
cp "$work/model/config.json" "$work/model/model.safetensors" "$work/model/training-log.json" \
   "$work/tokenizer.model" \
   "$work/heldout.txt" "$out/"
$py test/reference/model_card_figures.py "$work/model/training-log.json" "$out"
echo "== done: $out (MODEL_CARD.md: update the figures it quotes)"
