/** Name lists for synthetic people. Common US names, so the records look like a real CRM export. */

function wordsOf(text: string): readonly string[] {
  return text.trim().split(/\s+/);
}

export const FEMALE_FIRST_NAMES: readonly string[] = wordsOf(`
  Abigail Alice Amanda Amelia Angela Anna Ashley Aubrey Beatrice Brenda Camila Carol Charlotte
  Chloe Claire Deborah Diana Elena Eleanor Elizabeth Ella Emily Emma Evelyn Fiona Grace Hannah
  Harper Isabella Jasmine Jessica Julia Karen Katherine Laura Layla Linda Lucy Madison Maria Masha
  Megan Mia Michelle Natalie Nora Olivia Patricia Priya Rachel Rebecca Rosa Samantha Sarah Sofia
  Stephanie Susan Valeria Victoria Zoe
`);

export const MALE_FIRST_NAMES: readonly string[] = wordsOf(`
  Aaron Adam Alexander Andrew Anthony Benjamin Brandon Brian Carlos Charles Christopher Daniel
  David Diego Dylan Edward Elijah Ethan Gabriel George Henry Isaac Jack Jacob James Jason Jeffrey
  John Jonathan Jose Joseph Joshua Kevin Liam Logan Lucas Luis Mark Mason Matthew Michael Nathan
  Nicholas Noah Oliver Omar Patrick Paul Raj Richard Robert Ryan Samuel Scott Steven Thomas
  Timothy Tyler Victor William
`);

export const LAST_NAMES: readonly string[] = wordsOf(`
  Adams Allen Alvarez Anderson Bailey Baker Barnes Bell Bennett Brooks Brown Butler Campbell
  Carter Castillo Chen Clark Collins Cook Cooper Cox Cruz Davis Diaz Edwards Evans Fisher Flores
  Foster Garcia Gomez Gonzalez Gray Green Griffin Hall Harris Hayes Henderson Hernandez Hill
  Howard Hughes Jackson James Jenkins Johnson Jones Kelley Kelly Kim King Kowalski Lee Lewis Long
  Lopez Martin Martinez Mendoza Miller Mitchell Moore Morales Morgan Morris Murphy Myers Nelson
  Nguyen Okafor Ortiz Parker Patel Perez Perry Peterson Phillips Powell Price Ramirez Reed Reyes
  Richardson Rivera Roberts Robinson Rodriguez Rogers Ross Russell Sanchez Sanders Scott Shah
  Smith Stewart Sullivan Taylor Thomas Thompson Torres Turner Walker Ward Watson White Williams
  Wilson Wood Wright Wu Young Zhang
`);

/** RFC 2606 reserved domains: no generated address can ever reach a real inbox. */
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'] as const;
