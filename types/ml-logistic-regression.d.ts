// ml-logistic-regression ships no type declarations; this is the part the benchmark's baseline uses.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  /** One two-class model per class (one-vs-all), each learnt by fixed-step gradient ascent. */
  interface TwoClassModel {
    /** For classifier i: the probability that a row is NOT of class i. */
    testScores(features: Matrix): number[];
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    readonly classifiers: TwoClassModel[];
    train(features: Matrix, labels: Matrix): void;
    predict(features: Matrix): number[];
  }
}
