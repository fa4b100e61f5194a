/**
 * The workloads: thirty short program ideas, written for this task (games,
 * puzzles, small utilities), each a paragraph a team turns into one JavaScript
 * module. The split is fixed here: nine ideas train (the search sees them), the
 * other twenty-one are the held-out test. Every third idea of each kind (the
 * first, fourth and seventh of ten) goes to train, so both splits hold all three.
 */
import type { Workload } from "../../src/task/api.ts";

/** What the driver hands to the team: the idea's text. */
export interface IdeaInput {
  idea: string;
}

interface Idea {
  id: string;
  kind: "game" | "puzzle" | "utility";
  train: boolean;
  idea: string;
}

const IDEAS: readonly Idea[] = [
  // Games
  {
    id: "tic-tac-toe",
    kind: "game",
    train: true,
    idea: "A tic-tac-toe game for two players on one keyboard: show the 3x3 board as text, take moves as row and column numbers, refuse occupied or out-of-range cells, and announce a win, a loss or a draw.",
  },
  {
    id: "connect-four",
    kind: "game",
    train: false,
    idea: "Connect Four on a 7-column, 6-row grid: players drop discs into columns in turn, a full column is refused, and the game ends when four discs line up in a row, column or diagonal, or the grid is full.",
  },
  {
    id: "snake",
    kind: "game",
    train: false,
    idea: "The logic of a snake game on a 20x20 grid, without graphics: a step function that moves the snake one cell, grows it when it eats food, places new food on a free cell with a seeded random generator, and reports death on hitting a wall or itself.",
  },
  {
    id: "hangman",
    kind: "game",
    train: true,
    idea: "Hangman with a built-in list of twenty words: pick a word at random, show the guessed letters and blanks, count wrong guesses up to six, ignore repeated guesses, and say whether the player won.",
  },
  {
    id: "blackjack",
    kind: "game",
    train: false,
    idea: "A simplified blackjack round against a dealer who draws to 17: a shuffled 52-card deck from a seed, aces worth 1 or 11, hit and stand, busts, and the round's result.",
  },
  {
    id: "rock-paper-scissors",
    kind: "game",
    train: false,
    idea: "Rock-paper-scissors best of five against the computer, whose choice follows the player's most frequent past move; keep the score and stop as soon as one side has three wins.",
  },
  {
    id: "battleship-board",
    kind: "game",
    train: true,
    idea: 'The board of a one-player battleship game: place ships of lengths 5, 4, 3, 3 and 2 on a 10x10 grid at random without overlap, accept shots like "B7", and report miss, hit, sunk and the end of the game.',
  },
  {
    id: "2048",
    kind: "game",
    train: false,
    idea: "The move logic of 2048 on a 4x4 grid: slide tiles left, right, up or down, merge equal neighbours once per move, add a new 2 or 4 on a free cell after each move that changed the grid, and detect when no move is left.",
  },
  {
    id: "memory-cards",
    kind: "game",
    train: false,
    idea: "A memory card game with 8 pairs face down on a 4x4 grid: the player turns two cards per turn, a matching pair stays up, and the game counts the turns until every pair is found.",
  },
  {
    id: "dice-yahtzee",
    kind: "game",
    train: false,
    idea: "The scoring of one Yahtzee turn: given five dice values, compute the score of every category (ones to sixes, three and four of a kind, full house, small and large straight, Yahtzee, chance).",
  },
  // Puzzles
  {
    id: "sudoku-solver",
    kind: "puzzle",
    train: true,
    idea: "A Sudoku solver: read a 9x9 puzzle as 81 characters with dots for blanks, fill it by backtracking, and say so when the puzzle has no solution or its givens already break a rule.",
  },
  {
    id: "n-queens",
    kind: "puzzle",
    train: false,
    idea: "Count the ways to place N queens on an N by N chessboard so that none attacks another, for N from 1 to 10, and print one solution as a board for N = 8.",
  },
  {
    id: "maze",
    kind: "puzzle",
    train: false,
    idea: "Generate a rectangular maze with a seeded random depth-first search, print it with walls drawn in text, and find the shortest path from the top-left to the bottom-right cell.",
  },
  {
    id: "game-of-life",
    kind: "puzzle",
    train: true,
    idea: "Conway's Game of Life on a wrapping grid: parse a pattern of dots and hashes, advance it a given number of generations, and report the population and whether the pattern became still or repeats.",
  },
  {
    id: "tower-of-hanoi",
    kind: "puzzle",
    train: false,
    idea: 'Solve the Tower of Hanoi for n discs: list every move as "disc k from A to C", check that no move puts a larger disc on a smaller one, and confirm the move count is 2^n - 1.',
  },
  {
    id: "word-search",
    kind: "puzzle",
    train: false,
    idea: "A word search helper: given a grid of letters and a list of words, find each word in any of the eight directions and give its start cell and direction, or say it is absent.",
  },
  {
    id: "mastermind",
    kind: "puzzle",
    train: true,
    idea: "Mastermind scoring and a code breaker: score a guess against a secret of four colours out of six (exact and colour-only matches), then write a solver that always finds the secret within ten guesses.",
  },
  {
    id: "sliding-puzzle",
    kind: "puzzle",
    train: false,
    idea: "The 8-puzzle: decide whether a 3x3 sliding-tile position is solvable, and if it is, find a shortest sequence of moves to the solved position with breadth-first or A* search.",
  },
  {
    id: "minesweeper",
    kind: "puzzle",
    train: false,
    idea: "Minesweeper's board logic: place mines from a seed, count the neighbouring mines of every cell, reveal a cell and flood-open the empty area around a zero, and detect a win or a lost game.",
  },
  {
    id: "nonogram-check",
    kind: "puzzle",
    train: false,
    idea: "Check a filled nonogram: given the row and column clues and a grid of filled and empty cells, say whether every line matches its clue, and name the first line that does not.",
  },
  // Small utilities
  {
    id: "roman-numerals",
    kind: "utility",
    train: true,
    idea: 'Convert between integers from 1 to 3999 and Roman numerals both ways, rejecting malformed numerals such as "IIII" or "VX" with a clear message.',
  },
  {
    id: "word-count",
    kind: "utility",
    train: false,
    idea: "A word frequency counter: take a text, split it into words ignoring case and punctuation, and list the ten most frequent words with their counts, ties broken alphabetically.",
  },
  {
    id: "todo-list",
    kind: "utility",
    train: false,
    idea: "An in-memory to-do list with add, complete, delete and list commands, each item with an id, a title and an optional due date; listing shows open items first, soonest due first.",
  },
  {
    id: "calculator",
    kind: "utility",
    train: true,
    idea: "A calculator for arithmetic expressions with + - * / parentheses and unary minus, honouring precedence, without using eval, and reporting division by zero and syntax errors with their position.",
  },
  {
    id: "unit-converter",
    kind: "utility",
    train: false,
    idea: "A unit converter for length, mass and temperature (metres, feet, inches, kilograms, pounds, Celsius, Fahrenheit, Kelvin) that refuses to convert between different kinds of quantity.",
  },
  {
    id: "caesar-vigenere",
    kind: "utility",
    train: false,
    idea: "Caesar and Vigenere ciphers: encrypt and decrypt text with a shift or a key word, keep the case of letters, and leave digits, spaces and punctuation as they are.",
  },
  {
    id: "csv-summary",
    kind: "utility",
    train: false,
    idea: "Summarise a small CSV text: parse quoted fields with commas inside them, and for each numeric column report its count, minimum, maximum and mean.",
  },
  {
    id: "bank-account",
    kind: "utility",
    train: true,
    idea: "A bank account with deposits, withdrawals and transfers between two accounts, amounts kept in whole cents, overdrafts refused, and a statement listing every transaction with the running balance.",
  },
  {
    id: "password-check",
    kind: "utility",
    train: false,
    idea: "A password strength checker: rate a password weak, fair or strong from its length and the kinds of characters it uses, flag common passwords from a short built-in list, and say what would make it stronger.",
  },
  {
    id: "date-diff",
    kind: "utility",
    train: false,
    idea: "Count the days between two dates given as YYYY-MM-DD, leap years included, and give the weekday of each date, rejecting impossible dates such as 2023-02-29.",
  },
];

function toWorkload(idea: Idea): Workload<IdeaInput> {
  return { id: idea.id, split: idea.train ? "train" : "test", input: { idea: idea.idea } };
}

export function trainWorkloads(): Workload<IdeaInput>[] {
  return IDEAS.filter((i) => i.train).map(toWorkload);
}

export function testWorkloads(): Workload<IdeaInput>[] {
  return IDEAS.filter((i) => !i.train).map(toWorkload);
}
