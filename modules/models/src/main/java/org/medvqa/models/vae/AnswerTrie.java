package org.medvqa.models.vae;

import java.io.Serializable;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.medvqa.models.text.Vocabulary;

/**
 * The answers a decoder may write, as a prefix tree of word ids: after a prefix, the words that
 * continue some answer, and {@code </s>} where the prefix is an answer itself. It turns the
 * generator into a scorer of whole answers for categories whose answers are a closed set (2019's
 * modality, plane and organ), the decoder's counterpart of the classifiers' routing by category.
 */
final class AnswerTrie implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<Integer, AnswerTrie> children = new HashMap<>();
  private boolean terminal;

  /** A trie of {@code answers} (word ids, without {@code </s>}); empty answers are skipped. */
  static AnswerTrie of(List<int[]> answers) {
    AnswerTrie root = new AnswerTrie();
    for (int[] a : answers) {
      if (a.length == 0) {
        continue;
      }
      AnswerTrie node = root;
      for (int id : a) {
        node = node.children.computeIfAbsent(id, k -> new AnswerTrie());
      }
      node.terminal = true;
    }
    return root;
  }

  /** Words that may follow {@code prefix}; empty when the prefix leaves the tree. */
  BitSet next(int[] prefix) {
    AnswerTrie node = this;
    for (int id : prefix) {
      node = node.children.get(id);
      if (node == null) {
        return new BitSet();
      }
    }
    BitSet out = new BitSet();
    node.children.keySet().forEach(out::set);
    if (node.terminal) {
      out.set(Vocabulary.END_ID);
    }
    return out;
  }
}
