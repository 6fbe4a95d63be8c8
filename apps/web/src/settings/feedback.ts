/** What a connection card tells the person after an action on it. */
export interface Feedback {
  tone: 'success' | 'error';
  text: string;
}
