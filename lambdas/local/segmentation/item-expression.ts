/** Moved to the core, so the Personalize pre-flight reads queries with the same parser as the local model. */
export * from '../../core/segmentation/item-expression';
