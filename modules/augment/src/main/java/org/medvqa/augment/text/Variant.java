package org.medvqa.augment.text;

import java.io.Serializable;
import java.util.List;

/**
 * One rewrite of a question.
 *
 * @param variant its number among the rewrites of the question, from 1
 * @param question the rewritten question
 * @param replacements every word replaced, in question order
 */
public record Variant(int variant, String question, List<Replacement> replacements)
    implements Serializable {
  public Variant {
    replacements = List.copyOf(replacements);
  }
}
