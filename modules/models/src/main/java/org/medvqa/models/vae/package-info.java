/**
 * The variational auto-encoders of Sarrouti, "NLM at VQA-Med 2020" (section 4): a VAE that answers
 * (image and question in, answer words out) and one that asks (image in, question words out), as
 * DL4J computation graphs with the reparameterisation, KL and reconstruction losses built in.
 */
package org.medvqa.models.vae;
